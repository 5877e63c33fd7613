// A master copy → the container spec of one copy. Pure: no engine, no file system, so
// every hardening setting can be checked in a unit test.
//
// What goes where:
//  - the image already carries env, user, workdir, command, entrypoint (and the
//    HEALTHCHECK) when it was generated from `from`; they are repeated here only for a
//    `dockerfile:` master copy, whose Dockerfile is used as is;
//  - secrets go into the copy's environment and nowhere else (not its labels, not the
//    image, not a build argument);
//  - labels: the user's first, then ours, so ours win a clash.
import { commandArgs } from '../build/dockerfile';
import type { ContainerSpec, HealthCheckSpec, PublishedPort } from '../engine/EngineClient';
import { LABEL_COPY, LABEL_DIGEST, LABEL_NAME, LABEL_VERSION } from '../engine/labels';
import { normalizePort, type Command, type Health, type MasterCopy } from '../mastercopy/model';
import { setOwn } from '../util/ownProperty';

/** On copies probed over HTTP: "PORT PATH", so that `ps` can probe them the same way. */
export const LABEL_HEALTH_HTTP = 'io.mastercopy.health-http';

/**
 * What an HTTP probe can send as its request target: the origin form (RFC 3986 path and
 * query, percent-encoding allowed), so never a blank, a control or a non-ASCII character.
 * The same as the schema's pattern for `health.http.path` (a unit test keeps them equal);
 * here for the readers of LABEL_HEALTH_HTTP, which may carry what an older version wrote.
 */
export const HTTP_PROBE_PATH =
  /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*(?:\?(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$/;

/**
 * The probe a LABEL_HEALTH_HTTP value names: the port before the first space, the path
 * after it ('/' when there is none). Undefined without a valid port; the path is as it
 * stands, which the probe refuses to send unless it matches HTTP_PROBE_PATH.
 */
export function parseHealthHttpLabel(
  value: string | undefined,
): { port: number; path: string } | undefined {
  if (!value) return undefined;
  const space = value.indexOf(' ');
  const portText = space < 0 ? value : value.slice(0, space);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { port, path: space < 0 ? '/' : value.slice(space + 1) || '/' };
}

/** The schema's defaults for `health`. */
export const HEALTH_DEFAULTS = {
  intervalMs: 2000,
  timeoutMs: 1000,
  retries: 3,
  startPeriodMs: 5000,
} as const;
/** The schema's default for `runtime.tmpfs`. */
export const DEFAULT_TMPFS = ['/tmp'];
/** Where published ports listen: copies are reached from this machine only. */
export const PUBLISH_HOST_IP = '127.0.0.1';

export interface CopySpecInput {
  /** NAME:VERSION, as built. */
  image: string;
  /** The image's io.mastercopy.digest. */
  digest: string;
  index: number;
  /** The per-master-copy network (its id: a name can be ambiguous, see ensureNetwork). */
  network: string;
  /** Secret values by variable name (already resolved). */
  secrets?: Readonly<Record<string, string>>;
  /** More labels (e.g. a test run's); ours win a clash. */
  extraLabels?: Readonly<Record<string, string>>;
  /** The engine's name of each volume, where it is not volumeName()'s (see resolveVolumeNames). */
  volumeNames?: Readonly<Record<string, string>>;
}

/** Every copy of a master copy sits on this network: `mastercopy-NAME`. */
export function networkName(name: string): string {
  return `mastercopy-${name}`;
}

/**
 * A named volume of a master copy, shared by every version: `mastercopy_NAME_VOLUME`. A
 * master copy's name never holds a `_` (it is a DNS label), so no two (name, volume) pairs
 * share one (with `-` as the separator, shop + b-data and shop-b + data did).
 */
export function volumeName(name: string, volume: string): string {
  return `mastercopy_${name}_${volume}`;
}

/** What older versions of Master Copy named a volume: still used when it exists (its data is there). */
export function legacyVolumeName(name: string, volume: string): string {
  return `mastercopy-${name}-${volume}`;
}

/**
 * `NAME_VERSION_INDEX` (Compose's old `project_service_1` shape): copies are counted, not
 * named, but a readable name makes `docker ps` legible, and the engine refuses a duplicate
 * name, so two prints racing for the same index cannot both win. The name holds no `_`
 * and the index is the digits after the last one, so two master copies never share a
 * name (with `-`, shop + b-1 and shop-b + 1 did). The engine's name charset is
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*; a master copy's name and version already fit, the
 * replacement is a guard.
 */
export function copyName(name: string, version: string, index: number): string {
  return `${name}_${version}_${index}`
    .replace(/[^a-zA-Z0-9_.-]/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '');
}

/**
 * What everything printed of this version carries (a copy, a Swarm service): the extra
 * labels, then the master copy's, then ours — ours win a clash.
 */
export function versionLabels(
  mc: MasterCopy,
  digest: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const labels: Record<string, string> = { ...extra };
  for (const [k, v] of Object.entries(mc.labels ?? {})) setOwn(labels, k, String(v));
  labels[LABEL_NAME] = mc.name;
  labels[LABEL_VERSION] = mc.version;
  labels[LABEL_DIGEST] = digest;
  return labels;
}

/** The labels every copy of this version carries (io.mastercopy.managed is added by the engine client). */
export function copyLabels(
  mc: MasterCopy,
  digest: string,
  index: number,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const labels = versionLabels(mc, digest, extra);
  labels[LABEL_COPY] = String(index);
  if (mc.health?.http)
    labels[LABEL_HEALTH_HTTP] = `${mc.health.http.port} ${mc.health.http.path ?? '/'}`;
  return labels;
}

/** "2s" → 2000; the validator has checked the form (`^[0-9]+(ms|s|m|h)$`). */
export function durationMs(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** "256m" → bytes; b, k, m, g are powers of 1024 like Docker's. */
export function memoryBytes(value: string): number {
  const m = /^([0-9]+)([bkmg]?)$/.exec(value);
  if (!m) throw new Error(`not a memory size: ${value}`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    m[2] as '' | 'b' | 'k' | 'm' | 'g'
  ];
  return Number(m[1]) * unit;
}

export interface HealthTiming {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export function healthTiming(health: Health | undefined): HealthTiming {
  return {
    intervalMs: durationMs(health?.interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: durationMs(health?.timeout, HEALTH_DEFAULTS.timeoutMs),
    retries: health?.retries ?? HEALTH_DEFAULTS.retries,
    startPeriodMs: durationMs(health?.startPeriod, HEALTH_DEFAULTS.startPeriodMs),
  };
}

/** The ports a copy publishes: each on 127.0.0.1, on an ephemeral host port unless `hostPort` fixes one. */
export function publishedPorts(mc: MasterCopy): PublishedPort[] {
  return (mc.ports ?? []).map((p) => {
    const { port, protocol, hostPort } = normalizePort(p);
    return { containerPort: port, protocol, hostIp: PUBLISH_HOST_IP, hostPort };
  });
}

/** The container spec of copy `input.index`. */
export function copyContainerSpec(mc: MasterCopy, input: CopySpecInput): ContainerSpec {
  const runtime = mc.runtime ?? {};
  const spec: ContainerSpec = {
    image: input.image,
    name: copyName(mc.name, mc.version, input.index),
    labels: copyLabels(mc, input.digest, input.index, input.extraLabels),
    ports: publishedPorts(mc),
    readOnly: runtime.readOnly ?? true,
    tmpfs: runtime.tmpfs ?? DEFAULT_TMPFS,
    capDrop: runtime.capabilities?.drop ?? ['ALL'],
    capAdd: runtime.capabilities?.add ?? [],
    noNewPrivileges: runtime.noNewPrivileges ?? true,
    memoryBytes: runtime.memory !== undefined ? memoryBytes(runtime.memory) : undefined,
    cpus: runtime.cpus,
    restart: runtime.restart ?? 'no',
    volumes: (mc.volumes ?? []).map((v) => ({
      name: input.volumeNames?.[v.name] ?? volumeName(mc.name, v.name),
      path: v.path,
      readOnly: v.readOnly ?? false,
    })),
    network: input.network,
    init: true,
  };

  const env: Record<string, string> = {};
  if (mc.dockerfile !== undefined) {
    // A user's Dockerfile knows nothing of these: apply them when the copy runs.
    for (const [k, v] of Object.entries(mc.env ?? {})) setOwn(env, k, String(v));
    if (mc.user !== undefined) spec.user = mc.user;
    if (mc.workdir !== undefined) spec.workdir = mc.workdir;
    if (mc.entrypoint !== undefined) spec.entrypoint = commandArgs(mc.entrypoint);
    if (mc.command !== undefined) spec.command = commandArgs(mc.command);
  }
  for (const [k, v] of Object.entries(input.secrets ?? {})) setOwn(env, k, v);
  if (Object.keys(env).length) spec.env = env;

  if (mc.health?.command !== undefined)
    spec.healthCheck = healthCheckSpec(mc.health.command, mc.health);
  return spec;
}

/** The engine-side health check for `health.command` (the same as the image's HEALTHCHECK). */
export function healthCheckSpec(command: Command, health: Health): HealthCheckSpec {
  const t = healthTiming(health);
  return {
    command: commandArgs(command),
    intervalMs: t.intervalMs,
    timeoutMs: t.timeoutMs,
    retries: t.retries,
    startPeriodMs: t.startPeriodMs,
  };
}
