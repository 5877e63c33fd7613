// Printing on the Swarm target: build if needed, then the master copy's service with
// replicas = copies, and wait until that many tasks run (healthy, where there is a check).
// A print of the version the service runs sets its count; another version is a promote.
import { buildMasterCopy, type BuildEvent } from '../build/build';
import type { BuildFileSystem } from '../build/buildFileSystem';
import { MAX_COPIES } from '../copies/print';
import type { ReadTextFile } from '../copies/secrets';
import type { EngineClient, TaskSummary } from '../engine/EngineClient';
import { CopiesError } from '../copies/errors';
import { LABEL_VERSION } from '../engine/labels';
import type { MasterCopy } from '../mastercopy/model';
import {
  ensureOverlayNetwork,
  ensureSecrets,
  findService,
  hardeningGaps,
  imageForNodes,
  refuseLocalCopies,
  requireManager,
  serviceFilter,
  SwarmError,
  waitForTasks,
  type RegistryOption,
} from './service';
import { serviceSpec, type PublishMode } from './spec';

export type SwarmPrintEvent =
  | { kind: 'build'; event: BuildEvent }
  | { kind: 'built'; status: 'built' | 'up-to-date'; tag: string }
  | { kind: 'image'; ref: string }
  | { kind: 'network'; name: string; created: boolean }
  | { kind: 'service'; action: 'created' | 'scaled' | 'unchanged'; name: string; replicas: number }
  | { kind: 'tasks'; running: number; replicas: number }
  | { kind: 'warning'; text: string };

export interface SwarmOptions extends RegistryOption {
  /** Where `secrets[].fromEnv` values come from. */
  env: Readonly<Record<string, string | undefined>>;
  readFile: ReadTextFile;
  files?: BuildFileSystem;
  /** `ingress` (default: every node answers) or `host` (the task's node, one task per port per node). */
  publishMode?: PublishMode;
  /** More labels on everything created (a test run's). */
  extraLabels?: Record<string, string>;
  signal?: AbortSignal;
}

export interface SwarmPrintOptions extends SwarmOptions {
  /** Replicas; default the master copy's `copies`, else 1. */
  copies?: number;
  /** How long the tasks get to run; default 60 s plus the health check's monitor time. */
  timeoutMs?: number;
  onProgress?: (event: SwarmPrintEvent) => void;
}

export interface SwarmPrintResult {
  service: { id: string; name: string };
  tag: string;
  /** The reference the tasks run. */
  image: string;
  replicas: number;
  running: TaskSummary[];
  /** Tasks that failed while the print waited (it gave up at its deadline). */
  failed: TaskSummary[];
}

export async function printService(
  engine: EngineClient,
  mc: MasterCopy,
  folder: string,
  options: SwarmPrintOptions,
): Promise<SwarmPrintResult> {
  const { signal, onProgress } = options;
  const replicas = options.copies ?? mc.copies ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_COPIES)
    throw new CopiesError(
      `The number of copies must be a whole number from 1 to ${MAX_COPIES}, not ${replicas}.`,
    );
  const extraLabels = options.extraLabels ?? {};
  const nodes = await requireManager(engine, signal);
  await refuseLocalCopies(engine, mc.name, signal);
  const existing = await findService(engine, mc.name, signal);
  for (const text of await hardeningGaps(engine, mc, signal))
    onProgress?.({ kind: 'warning', text });
  if (existing && existing.labels[LABEL_VERSION] !== mc.version)
    throw new SwarmError(
      `The service of ${mc.name} runs ${existing.labels[LABEL_VERSION]}; ` +
        `a new version replaces it by a rolling update: mastercopy promote FILE --target swarm.`,
    );

  const built = await buildMasterCopy(engine, mc, folder, {
    signal,
    extraLabels,
    files: options.files,
    onProgress: onProgress && ((event) => onProgress({ kind: 'build', event })),
  });
  onProgress?.({ kind: 'built', status: built.status, tag: built.tag });
  const image = await imageForNodes(engine, built.tag, nodes, options, signal);
  onProgress?.({ kind: 'image', ref: image });

  let id: string;
  if (existing) {
    id = existing.id;
    if (existing.replicas !== replicas)
      await engine.scaleService(id, replicas, serviceFilter(mc.name), signal);
    onProgress?.({
      kind: 'service',
      action: existing.replicas === replicas ? 'unchanged' : 'scaled',
      name: existing.name,
      replicas,
    });
  } else {
    const network = await ensureOverlayNetwork(engine, mc.name, extraLabels, signal);
    onProgress?.({ kind: 'network', name: network.name, created: network.created });
    const secrets = await ensureSecrets(engine, mc, { ...options, folder }, signal);
    const spec = serviceSpec(mc, {
      image,
      digest: built.digest,
      replicas,
      network: network.id,
      secrets,
      publishMode: options.publishMode,
      extraLabels,
    });
    id = (await engine.createService(spec, signal)).id;
    onProgress?.({ kind: 'service', action: 'created', name: spec.name, replicas });
  }
  const outcome = await waitForTasks(
    engine,
    id,
    { replicas, image },
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      signal,
      onTasks: (running) => onProgress?.({ kind: 'tasks', running, replicas }),
    },
  );
  return {
    service: { id, name: existing?.name ?? `mastercopy-${mc.name}` },
    tag: built.tag,
    image,
    replicas,
    running: outcome.running,
    failed: outcome.failed,
  };
}
