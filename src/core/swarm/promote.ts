// Promote on the Swarm target: Swarm itself is the keeper. A rolling update of the master
// copy's service to the new image — one task at a time, the new one started first, each
// watched for the health check's time (monitorMs), a failure rolled back by Swarm itself —
// and the ledger and the lock exactly as the local promote keeps them:
//
//   lock → build (or take the image as built: a rollback) → image for every node
//   → network, secrets → update (or create) → wait for Swarm's verdict → record → unlock
//
// Swarm's verdict is the service's UpdateStatus: `completed` (promoted), or
// `rollback_completed` / `paused` (failed: the old version still serves, the ledger says
// why in Swarm's words). Cancelling while Swarm updates asks Swarm to roll back.
import { buildMasterCopy, type BuildEvent } from '../build/build';
import type { EngineClient, ServiceDetails } from '../engine/EngineClient';
import { isAbortError } from '../engine/errors';
import { LABEL_VERSION } from '../engine/labels';
import {
  activeVersion,
  appendRecord,
  readLedger,
  type DeployAction,
  type LedgerRecord,
  type LockHolder,
} from '../deploy/ledger';
import { acquireDeployLock, type DeployEnvironment, type PromoteSource } from '../deploy/promote';
import { delay } from '../util/delay';
import {
  ensureOverlayNetwork,
  ensureSecrets,
  findService,
  hardeningGaps,
  imageForNodes,
  refuseLocalCopies,
  removeUnusedSecrets,
  requireManager,
  serviceFilter,
  taskText,
  waitForTasks,
  type RegistryOption,
} from './service';
import { monitorMs, serviceName, serviceSpec, type PublishMode } from './spec';

export type SwarmPromotePhase = 'build' | 'image' | 'update' | 'record';

export type SwarmPromoteEvent =
  | { kind: 'phase'; phase: SwarmPromotePhase; text: string }
  | { kind: 'lock-taken-over'; from: LockHolder }
  | { kind: 'build'; event: BuildEvent }
  | { kind: 'update'; state: string; message?: string }
  | { kind: 'tasks'; running: number; replicas: number }
  | { kind: 'warning'; text: string };

/** What a Swarm deploy needs from where it runs (the local promote's environment, less the keeper). */
export type SwarmDeployEnvironment = Pick<
  DeployEnvironment,
  'who' | 'lock' | 'git' | 'env' | 'readFile' | 'files' | 'extraLabels'
>;

export interface SwarmPromoteOptions extends RegistryOption {
  /** Replicas; default as many as the service has, else `copies`, else 1. */
  copies?: number;
  publishMode?: PublishMode;
  /** Deadline for Swarm's verdict; default 60 s plus the monitor time of every replica. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: SwarmPromoteEvent) => void;
}

export interface SwarmPromoteResult {
  status: 'promoted' | 'rolled-back' | 'already-active';
  name: string;
  version: string;
  replaced: string | null;
  record?: LedgerRecord;
  service: { id: string; name: string };
  image: string;
  replicas: number;
  lockTakenOverFrom?: LockHolder;
}

/** A promote Swarm did not complete: it rolled back (or paused), and the old version serves. */
export class SwarmPromoteError extends Error {
  override readonly name = 'SwarmPromoteError';
  constructor(
    message: string,
    /** Swarm's UpdateStatus.State, or "timeout", or "create". */
    readonly state: string,
  ) {
    super(message);
  }
}

/** UpdateStatus states after which Swarm does nothing more on its own. */
const FINAL = new Set(['completed', 'rollback_completed', 'paused', 'rollback_paused']);

export async function promoteService(
  engine: EngineClient,
  source: PromoteSource,
  deploy: SwarmDeployEnvironment,
  options: SwarmPromoteOptions = {},
): Promise<SwarmPromoteResult> {
  const { mc } = source;
  const { signal, onProgress } = options;
  const action: DeployAction = source.kind === 'image' ? 'rollback' : 'promote';
  const phase = (p: SwarmPromotePhase, text: string) =>
    onProgress?.({ kind: 'phase', phase: p, text });
  const extraLabels = deploy.extraLabels ?? {};
  const folder = source.folder ?? process.cwd();
  signal?.throwIfAborted();
  const nodes = await requireManager(engine, signal);
  await refuseLocalCopies(engine, mc.name, signal);
  for (const text of await hardeningGaps(engine, mc, signal))
    onProgress?.({ kind: 'warning', text });

  const lock = await acquireDeployLock(engine, deploy, mc, action);
  if (lock.tookOverFrom) onProgress?.({ kind: 'lock-taken-over', from: lock.tookOverFrom });
  let replicas = options.copies ?? mc.copies ?? 1;
  const git = source.folder ? await deploy.git(source.folder).catch(() => null) : null;
  let recorded = false;
  let updating: ServiceDetails | undefined;
  const record = (
    fields: Pick<LedgerRecord, 'imageId' | 'digest' | 'outcome' | 'replaced'> & { reason?: string },
  ) =>
    appendRecord(
      engine,
      mc.name,
      {
        action,
        version: mc.version,
        ...fields,
        at: new Date(deploy.lock.now()).toISOString(),
        by: { user: deploy.who.user, host: deploy.who.host },
        git,
        copies: replicas,
        folder: source.folder,
        gateway: mc.gateway
          ? { port: mc.gateway.port, target: mc.gateway.target ?? mc.gateway.port }
          : null,
        autoscale: null,
      },
      deploy.extraLabels,
    ).then((r) => ((recorded = true), r));
  try {
    const blue = activeVersion(await readLedger(engine, mc.name, signal));
    const service = await findService(engine, mc.name, signal);
    replicas = options.copies ?? (service?.replicas || mc.copies || 1);
    if (
      service &&
      blue?.version === mc.version &&
      service.labels[LABEL_VERSION] === mc.version &&
      !service.updateStatus?.state.startsWith('rollback')
    ) {
      if (service.replicas !== replicas)
        await engine.scaleService(service.id, replicas, serviceFilter(mc.name), signal);
      return {
        status: 'already-active',
        name: mc.name,
        version: mc.version,
        replaced: null,
        service: { id: service.id, name: service.name },
        image: service.image,
        replicas,
        lockTakenOverFrom: lock.tookOverFrom,
      };
    }

    let image: { tag: string; imageId: string; digest: string };
    if (source.kind === 'image') {
      image = source.image;
      phase('build', `Using ${image.tag} as it was built (${image.imageId.slice(7, 19)})`);
    } else {
      phase('build', `Building ${mc.name}:${mc.version}`);
      const built = await buildMasterCopy(engine, mc, folder, {
        signal,
        files: deploy.files,
        extraLabels,
        onProgress: (event) => onProgress?.({ kind: 'build', event }),
      });
      image = { tag: built.tag, imageId: built.imageId, digest: built.digest };
    }
    phase(
      'image',
      options.registry
        ? `Pushing ${image.tag} to ${options.registry}`
        : `Using ${image.tag} on this node`,
    );
    const ref = await imageForNodes(engine, image.tag, nodes, options, signal);

    const network = await ensureOverlayNetwork(engine, mc.name, extraLabels, signal);
    const secrets = await ensureSecrets(
      engine,
      mc,
      { folder, env: deploy.env, readFile: deploy.readFile, extraLabels },
      signal,
    );
    const spec = serviceSpec(mc, {
      image: ref,
      digest: image.digest,
      replicas,
      network: network.id,
      secrets,
      publishMode: options.publishMode,
      extraLabels,
    });
    const timeoutMs = options.timeoutMs ?? 60_000 + replicas * (monitorMs(mc) + 5000);
    let serviceId: string;
    if (!service) {
      phase(
        'update',
        `Creating the service ${spec.name} with ${replicas} replica${replicas === 1 ? '' : 's'} of ${mc.version}`,
      );
      serviceId = (await engine.createService(spec, signal)).id;
      const outcome = await waitForTasks(
        engine,
        serviceId,
        { replicas, image: ref },
        {
          timeoutMs,
          signal,
          onTasks: (running) => onProgress?.({ kind: 'tasks', running, replicas }),
        },
      );
      if (outcome.running.length < replicas) {
        // A first version that never runs: nothing served before, nothing serves now.
        await engine.removeService(serviceId, serviceFilter(mc.name)).catch(() => undefined);
        throw new SwarmPromoteError(
          `${mc.name}:${mc.version} did not get ${replicas} running replica${replicas === 1 ? '' : 's'} within ` +
            `${Math.round(timeoutMs / 1000)} s; its service was removed again` +
            `${outcome.failed.length ? ` (${outcome.failed.slice(0, 3).map(taskText).join('; ')})` : ''}.`,
          'create',
        );
      }
    } else {
      serviceId = service.id;
      phase(
        'update',
        `Rolling update of ${service.name} to ${mc.version}: one replica at a time, the new one first, ` +
          `each watched ${monitorMs(mc) / 1000} s`,
      );
      updating = service;
      await engine.updateService(service.id, service.version, spec, serviceFilter(mc.name), signal);
      const verdict = await waitForUpdate(engine, service.id, { timeoutMs, signal, onProgress });
      updating = undefined;
      if (verdict.state !== 'completed') {
        const was = blue?.version ?? service.labels[LABEL_VERSION];
        const reason =
          verdict.state === 'timeout'
            ? `Swarm had not finished the rolling update within ${Math.round(timeoutMs / 1000)} s`
            : `Swarm ${
                verdict.state === 'rollback_completed'
                  ? 'rolled the update back'
                  : `stopped the update (${verdict.state})`
              }: ${verdict.message ?? 'no reason given'}`;
        await record({ imageId: '', digest: '', outcome: 'failed', replaced: null, reason });
        throw new SwarmPromoteError(
          `${mc.name}:${mc.version} was not promoted: ${reason}; ${was ? `${was} keeps serving` : 'nothing was switched'}.`,
          verdict.state,
        );
      }
    }

    phase('record', `Recording ${mc.version} as active in the ledger`);
    const written = await record({
      imageId: image.imageId,
      digest: image.digest,
      outcome: action === 'rollback' ? 'rolled-back' : 'promoted',
      replaced: blue?.version ?? null,
    });
    // Secrets of older values are no longer used by the service: they go.
    await removeUnusedSecrets(
      engine,
      mc.name,
      new Set(Object.values(secrets).map((s) => s.id)),
    ).catch(() => undefined);
    return {
      status: action === 'rollback' ? 'rolled-back' : 'promoted',
      name: mc.name,
      version: mc.version,
      replaced: blue?.version ?? null,
      record: written,
      service: { id: serviceId, name: serviceName(mc.name) },
      image: ref,
      replicas,
      lockTakenOverFrom: lock.tookOverFrom,
    };
  } catch (e) {
    const cancelled = isAbortError(e) && signal?.aborted === true;
    // Cancelled mid-update: Swarm would go on alone; it rolls back instead (not with the aborted signal).
    if (cancelled && updating)
      await engine.rollbackService(updating.id, serviceFilter(mc.name)).catch(() => undefined);
    if (!recorded)
      await record({
        imageId: '',
        digest: '',
        outcome: cancelled ? 'cancelled' : 'failed',
        replaced: null,
        reason: cancelled
          ? `cancelled${updating ? ' during the rolling update (Swarm rolls it back)' : ' before the update'}`
          : e instanceof Error
            ? e.message
            : String(e),
      }).catch(() => undefined);
    throw e;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * Waits for Swarm's verdict on the update just sent: its UpdateStatus once it is this
 * update's (started at or after the spec's update) and final. An update that changes no
 * task (only labels) may never report: then the tasks are the verdict.
 */
export async function waitForUpdate(
  engine: EngineClient,
  serviceId: string,
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    onProgress?: (event: SwarmPromoteEvent) => void;
  },
): Promise<{ state: string; message?: string }> {
  const { signal, onProgress } = options;
  const deadline = Date.now() + options.timeoutMs;
  let updatedAt: number | undefined;
  let lastState = '';
  const quietSince = Date.now();
  for (;;) {
    const service = await engine.inspectService(serviceId, signal);
    if (!service) return { state: 'removed', message: 'the service was removed during the update' };
    updatedAt ??= Date.parse(service.updatedAt);
    const status = service.updateStatus;
    const started = status?.startedAt ? Date.parse(status.startedAt) : NaN;
    const ours = status && Number.isFinite(started) && started >= updatedAt - 1;
    if (ours && status) {
      if (status.state !== lastState) {
        lastState = status.state;
        onProgress?.({ kind: 'update', state: status.state, message: status.message });
      }
      if (FINAL.has(status.state)) return { state: status.state, message: status.message };
    } else if (Date.now() - quietSince > 10_000) {
      // No update status of its own after 10 s: Swarm had no task to replace.
      const tasks = await engine.listTasks(serviceId, signal);
      if (
        tasks.every(
          (t) =>
            t.desiredState !== 'running' ||
            (t.state === 'running' && t.image.startsWith(service.image)),
        )
      )
        return { state: 'completed' };
    }
    if (Date.now() > deadline) return { state: 'timeout' };
    await delay(250, signal);
  }
}
