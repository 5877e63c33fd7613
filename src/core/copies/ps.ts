// The running copies, as stable records that can be shown in a table, a tree or as JSON.
import type { ContainerSummary, EngineClient } from '../engine/EngineClient';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_NAME,
  LABEL_VERSION,
  type LabelFilter,
} from '../engine/labels';
import type { HttpProbe } from './health';
import { LABEL_HEALTH_HTTP, parseHealthHttpLabel, PUBLISH_HOST_IP } from './spec';

/**
 * One copy. The JSON shape of `mastercopy ps --json` is an array of these, sorted by
 * name, version, then index:
 *
 *   {
 *     "name": "transaction-service",   // the master copy's name
 *     "version": "1.0.0",
 *     "index": 0,                       // the copy's index among its version's copies
 *     "id": "<64 hex>", "shortId": "<12 hex>",
 *     "state": "running",               // created|running|paused|restarting|removing|exited|dead
 *     "health": "healthy",              // healthy|unhealthy|starting|none
 *     "ports": [{ "container": 8080, "protocol": "tcp", "host": 32768, "hostIp": "127.0.0.1" }],
 *     "image": "transaction-service:1.0.0",
 *     "digest": "sha256:…",             // the copy's io.mastercopy.digest (null if missing)
 *     "digestMatches": true             // the image NAME:VERSION still carries that digest
 *   }
 *
 * `host` and `hostIp` are null while a port is not published (a stopped copy).
 */
export interface CopyRecord {
  name: string;
  version: string;
  index: number;
  id: string;
  shortId: string;
  state: ContainerSummary['status'];
  health: CopyHealth;
  ports: {
    container: number;
    protocol: 'tcp' | 'udp';
    host: number | null;
    hostIp: string | null;
  }[];
  image: string;
  digest: string | null;
  digestMatches: boolean;
}

export type CopyHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ListCopiesOptions {
  /** Only this master copy's copies. */
  name?: string;
  /** Only this version's (with `name`). */
  version?: string;
  signal?: AbortSignal;
  /**
   * Probe copies checked over HTTP (`health.http`) once each, in parallel, to tell their
   * health; without it they show `none`. The engine knows the health of `health.command` copies.
   */
  probe?: HttpProbe;
  /** Where published ports are reached from here; default 127.0.0.1. */
  probeHost?: string;
  probeTimeoutMs?: number;
}

/** The copy's index from its io.mastercopy.copy label; undefined when absent or not a number. */
export function copyIndex(labels: Readonly<Record<string, string>>): number | undefined {
  const value = labels[LABEL_COPY];
  return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined;
}

/** Our copies (containers with a name, version and index label), as records, sorted. */
export async function listCopies(
  engine: EngineClient,
  options: ListCopiesOptions = {},
): Promise<CopyRecord[]> {
  const { signal } = options;
  const filter: Record<string, string | true> = {
    [LABEL_NAME]: options.name ?? true,
    [LABEL_VERSION]: true,
    [LABEL_COPY]: true,
  };
  if (options.name !== undefined && options.version !== undefined)
    filter[LABEL_VERSION] = options.version;
  const imageFilter: LabelFilter =
    options.name !== undefined ? { [LABEL_NAME]: options.name } : { [LABEL_NAME]: true };
  const [containers, images] = await Promise.all([
    engine.listContainers(filter, signal),
    engine.listImages(imageFilter, signal),
  ]);

  // The digest each NAME:VERSION tag carries now.
  const tagDigest = new Map<string, string>();
  for (const image of images)
    for (const tag of image.tags)
      if (image.labels[LABEL_DIGEST]) tagDigest.set(tag, image.labels[LABEL_DIGEST]);

  const records = await Promise.all(
    containers
      .filter((c) => copyIndex(c.labels) !== undefined)
      .map(async (c): Promise<CopyRecord> => {
        const name = c.labels[LABEL_NAME];
        const version = c.labels[LABEL_VERSION];
        const digest = c.labels[LABEL_DIGEST] ?? null;
        const current = tagDigest.get(`${name}:${version}`);
        return {
          name,
          version,
          index: copyIndex(c.labels) as number,
          id: c.id,
          shortId: c.id.slice(0, 12),
          state: c.status,
          health: await healthOf(c, options),
          ports: c.ports
            .map((p) => ({
              container: p.containerPort,
              protocol: p.protocol,
              host: p.hostPort ?? null,
              hostIp: p.hostIp ?? null,
            }))
            .sort(
              (a, b) =>
                a.container - b.container ||
                a.protocol.localeCompare(b.protocol) ||
                (a.hostIp ?? '').localeCompare(b.hostIp ?? ''),
            ),
          image: c.image,
          digest,
          digestMatches: digest !== null && current === digest,
        };
      }),
  );
  return records.sort(
    (a, b) => compare(a.name, b.name) || compareVersions(a.version, b.version) || a.index - b.index,
  );
}

async function healthOf(c: ContainerSummary, options: ListCopiesOptions): Promise<CopyHealth> {
  // The engine's own words: "Up 3 minutes (healthy)", "(health: starting)", "(unhealthy)".
  if (/\(health: starting\)/.test(c.statusText)) return 'starting';
  if (/\(unhealthy\)/.test(c.statusText)) return 'unhealthy';
  if (/\(healthy\)/.test(c.statusText)) return 'healthy';
  const http = parseHealthHttpLabel(c.labels[LABEL_HEALTH_HTTP]);
  if (!http || !options.probe || c.status !== 'running') return 'none';
  const hostPort = c.ports.find(
    (p) => p.containerPort === http.port && p.protocol === 'tcp' && p.hostPort !== undefined,
  )?.hostPort;
  if (hostPort === undefined) return 'unhealthy';
  let status: number | undefined;
  try {
    status = await options.probe(
      { host: options.probeHost ?? PUBLISH_HOST_IP, port: hostPort, path: http.path },
      options.probeTimeoutMs ?? 1000,
      options.signal,
    );
  } catch (e) {
    // One copy's failed probe is that copy's health, never the whole list's failure.
    if (options.signal?.aborted) throw e;
  }
  return status !== undefined && status >= 200 && status < 400 ? 'healthy' : 'unhealthy';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "1.10.0" after "1.9.0": numeric parts compare as numbers, the rest as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/([0-9]+)/);
  const pb = b.split(/([0-9]+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (i % 2 === 1) return Number(x) - Number(y) || compare(x, y);
    return compare(x, y);
  }
  return pa.length - pb.length;
}
