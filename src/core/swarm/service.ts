// What every Swarm command shares: the engine must be a swarm manager, the master copy's
// service (ours or nobody's), its overlay network and secrets, the image reference every
// node can run, and waiting for the tasks.
import type { EngineClient, ServiceDetails, TaskSummary } from '../engine/EngineClient';
import { EngineRequestError } from '../engine/errors';
import { LABEL_COPY, LABEL_NAME, LABEL_ROLE, matchesLabels } from '../engine/labels';
import { resolveSecrets, type ReadTextFile } from '../copies/secrets';
import type { MasterCopy } from '../mastercopy/model';
import { delay } from '../util/delay';
import {
  LABEL_SECRET,
  ROLE_SECRET,
  ROLE_SERVICE,
  ROLE_SWARM_NETWORK,
  serviceName,
  swarmNetworkName,
  swarmSecretName,
} from './spec';

/** Something about the swarm or the service that the user must fix (said in plain words). */
export class SwarmError extends Error {
  override readonly name = 'SwarmError';
}

/** The filter of a master copy's service. */
export function serviceFilter(name: string): Record<string, string> {
  return { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_SERVICE };
}

/**
 * The engine is a swarm manager; else SwarmError. Returns how many nodes the swarm has
 * (a local image is on one node only).
 */
export async function requireManager(engine: EngineClient, signal?: AbortSignal): Promise<number> {
  const info = await engine.swarmInfo(signal);
  if (info.state !== 'active')
    throw new SwarmError(
      `The engine at ${engine.endpoint.host} is not in a swarm (its state: ${info.state}), so there is no Swarm target. ` +
        'Make it one with docker swarm init (scripts/setup-engine.sh does, on one node), or use the local target.',
    );
  if (!info.controlAvailable)
    throw new SwarmError(
      `The engine at ${engine.endpoint.host} is a swarm worker; services are made through a manager. ` +
        'Point DOCKER_HOST (or --host, or a docker context) at a manager.',
    );
  return info.nodes || 1;
}

/** The first Docker API whose service specs carry no-new-privileges (Docker 27); older engines drop it silently. */
export const NO_NEW_PRIVILEGES_API = '1.46';

function apiAtLeast(version: string, wanted: string): boolean {
  const [a, b] = [version, wanted].map((v) => v.split('.').map(Number));
  return a[0] > b[0] || (a[0] === b[0] && (a[1] ?? 0) >= (b[1] ?? 0));
}

/**
 * What of the hardening this engine's Swarm cannot apply, said so that nobody believes it is
 * there: no-new-privileges before API 1.46 (the engine accepts the field and forgets it).
 */
export async function hardeningGaps(
  engine: EngineClient,
  mc: MasterCopy,
  signal?: AbortSignal,
): Promise<string[]> {
  if (mc.runtime?.noNewPrivileges === false) return [];
  const { apiVersion } = await engine.version(signal);
  if (apiAtLeast(apiVersion, NO_NEW_PRIVILEGES_API)) return [];
  return [
    `this engine (API ${apiVersion}) does not apply no-new-privileges to Swarm services (API ${NO_NEW_PRIVILEGES_API}, Docker 27, does): ` +
      'set "no-new-privileges": true in the daemon.json of every node to have it for every container',
  ];
}

/** The master copy's service: ours, or undefined. SwarmError when a service of that name is somebody else's. */
export async function findService(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<ServiceDetails | undefined> {
  const service = await engine.inspectService(serviceName(name), signal);
  if (!service) return undefined;
  if (!matchesLabels(service.labels, serviceFilter(name)))
    throw new SwarmError(
      `A service named ${serviceName(name)} exists but was not created by Master Copy for ${name}; it is left alone. ` +
        `Remove or rename it to run ${name} on the Swarm target.`,
    );
  return service;
}

/** The Swarm target and the local one keep one ledger per master copy on an engine: a master copy runs on one of them. */
export async function refuseLocalCopies(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  // A copy carries its index; any container of its image (a task's among them) carries the name too.
  const local = await engine.listContainers({ [LABEL_NAME]: name, [LABEL_COPY]: true }, signal);
  if (local.length)
    throw new SwarmError(
      `${name} has ${local.length} container${local.length === 1 ? '' : 's'} of the local target on this engine, ` +
        `and one master copy runs on one target of an engine (they share its ledger). ` +
        `Dispose of them first (mastercopy dispose --all ${name}), or use the local target.`,
    );
}

/** The overlay network of the master copy, attachable; created when missing. */
export async function ensureOverlayNetwork(
  engine: EngineClient,
  name: string,
  extraLabels: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ id: string; name: string; created: boolean }> {
  const wanted = swarmNetworkName(name);
  const ours = async () =>
    (await engine.listNetworks({ [LABEL_NAME]: name }, signal)).filter((n) => n.name === wanted);
  let found = await ours();
  if (found.some((n) => n.driver !== 'overlay'))
    throw new SwarmError(
      `${wanted} is a ${found.find((n) => n.driver !== 'overlay')?.driver} network of the local target; ` +
        `dispose of ${name}'s local copies (mastercopy dispose --all ${name}) before running it on the Swarm target.`,
    );
  let created = false;
  if (!found.length) {
    try {
      await engine.createNetwork(
        {
          name: wanted,
          driver: 'overlay',
          attachable: true,
          labels: { ...extraLabels, [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_SWARM_NETWORK },
        },
        signal,
      );
      created = true;
    } catch (e) {
      if (!(e instanceof EngineRequestError && e.statusCode === 409)) throw e;
    }
    found = await ours();
    if (!found.length)
      throw new SwarmError(
        `A network named ${wanted} exists but was not created by Master Copy for ${name}; it is left alone. ` +
          `Remove or rename it to run ${name} on the Swarm target.`,
      );
  }
  return { id: found[0].id, name: wanted, created };
}

/** The secrets' values (the printer's environment, files beside the master copy) as Swarm secrets, created when new. */
export async function ensureSecrets(
  engine: EngineClient,
  mc: MasterCopy,
  source: {
    folder: string;
    env: Readonly<Record<string, string | undefined>>;
    readFile: ReadTextFile;
    extraLabels?: Record<string, string>;
  },
  signal?: AbortSignal,
): Promise<Record<string, { id: string; name: string }>> {
  if (!mc.secrets?.length) return {};
  const values = await resolveSecrets(mc, source.folder, source.env, source.readFile);
  const existing = await engine.listSecrets(
    { [LABEL_NAME]: mc.name, [LABEL_ROLE]: ROLE_SECRET },
    signal,
  );
  const out: Record<string, { id: string; name: string }> = {};
  for (const [secret, value] of Object.entries(values)) {
    const name = swarmSecretName(mc.name, secret, value);
    let found = existing.find((s) => s.name === name);
    if (!found) {
      try {
        const { id } = await engine.createSecret(
          {
            name,
            value,
            labels: {
              ...source.extraLabels,
              [LABEL_NAME]: mc.name,
              [LABEL_ROLE]: ROLE_SECRET,
              [LABEL_SECRET]: secret,
            },
          },
          signal,
        );
        found = { id, name, labels: {} };
      } catch (e) {
        // 409: made at the same moment by another print, or by somebody else (then refused below).
        if (!(e instanceof EngineRequestError && e.statusCode === 409)) throw e;
        found = (await engine.listSecrets({ [LABEL_NAME]: mc.name }, signal)).find(
          (s) => s.name === name,
        );
        if (!found)
          throw new SwarmError(
            `A secret named ${name} exists but was not created by Master Copy for ${mc.name}; it is left alone.`,
          );
      }
    }
    out[secret] = { id: found.id, name: found.name };
  }
  return out;
}

/**
 * Removes the master copy's secrets that no service uses any more (a changed value left
 * its old secret behind). Swarm refuses to remove one in use: that one stays.
 */
export async function removeUnusedSecrets(
  engine: EngineClient,
  name: string,
  keep: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<string[]> {
  const removed: string[] = [];
  const ours = await engine.listSecrets({ [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_SECRET }, signal);
  for (const s of ours) {
    if (keep.has(s.id)) continue;
    try {
      await engine.removeSecret(s.id, { [LABEL_NAME]: name }, signal);
      removed.push(s.name);
    } catch (e) {
      if (!(e instanceof EngineRequestError)) throw e;
    }
  }
  return removed;
}

/** Where the image every node runs comes from: `--registry HOST[:PORT]/PREFIX`. */
export interface RegistryOption {
  /** HOST[:PORT]/PREFIX, e.g. registry.example.com:5000/team. */
  registry?: string;
  onPush?: (line: string) => void;
}

/** HOST[:PORT] with an optional /PREFIX; letters, digits, . _ - and / only. */
const REGISTRY = /^[a-z0-9.-]+(?::[0-9]{1,5})?(?:\/[a-z0-9._-]+)*$/;

export function checkRegistry(registry: string): string {
  const trimmed = registry.replace(/\/+$/, '');
  if (!REGISTRY.test(trimmed))
    throw new SwarmError(
      `--registry must be HOST[:PORT]/PREFIX in lower case (e.g. registry.example.com:5000/team), not '${registry}'.`,
    );
  return trimmed;
}

/**
 * The reference of `tag` (NAME:VERSION, built here) that every node can run. On one node
 * it is the local image. Elsewhere a registry is needed: the image is tagged
 * REGISTRY/NAME:VERSION and pushed through the engine, and that reference is used.
 */
export async function imageForNodes(
  engine: EngineClient,
  tag: string,
  nodes: number,
  option: RegistryOption,
  signal?: AbortSignal,
): Promise<string> {
  if (!option.registry) {
    if (nodes > 1)
      throw new SwarmError(
        `The swarm has ${nodes} nodes and ${tag} was built on this one only: the other nodes cannot run it. ` +
          'Give a registry they can all pull from (--registry HOST[:PORT]/PREFIX): the image is pushed there first.',
      );
    return tag;
  }
  const registry = checkRegistry(option.registry);
  const colon = tag.lastIndexOf(':');
  const repo = `${registry}/${tag.slice(0, colon)}`;
  const version = tag.slice(colon + 1);
  await engine.tagImage(tag, repo, version, signal);
  await engine.pushImage(`${repo}:${version}`, option.onPush, signal);
  return `${repo}:${version}`;
}

/** The tasks Swarm wants running (not those it is shutting down or has replaced). */
export function currentTasks(tasks: readonly TaskSummary[]): TaskSummary[] {
  return tasks.filter((t) => t.desiredState === 'running');
}

/** A task that has ended for good (Swarm will make another in its slot). */
const ENDED = new Set(['failed', 'rejected', 'shutdown', 'complete', 'orphaned', 'remove']);

export type TasksOutcome =
  { running: TaskSummary[]; failed: [] } | { running: TaskSummary[]; failed: TaskSummary[] };

/**
 * Waits until `replicas` tasks of the service run `image` (running means healthy: Swarm
 * keeps a task with a health check in `starting` until it passes), or `timeoutMs` passes.
 * Resolves with the running tasks and, when it gave up, the tasks that failed meanwhile.
 */
export async function waitForTasks(
  engine: EngineClient,
  serviceId: string,
  want: { replicas: number; image: string; since?: string },
  options: { timeoutMs: number; signal?: AbortSignal; onTasks?: (running: number) => void },
): Promise<TasksOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let last = -1;
  for (;;) {
    const tasks = await engine.listTasks(serviceId, options.signal);
    const running = currentTasks(tasks).filter(
      (t) => t.state === 'running' && sameImage(t.image, want.image),
    );
    if (running.length !== last) options.onTasks?.((last = running.length));
    if (running.length >= want.replicas && currentTasks(tasks).length === running.length)
      return { running, failed: [] };
    if (Date.now() > deadline) {
      const failed = tasks.filter(
        (t) =>
          ENDED.has(t.state) &&
          sameImage(t.image, want.image) &&
          (!want.since || t.createdAt >= want.since),
      );
      return { running, failed };
    }
    await delay(250, options.signal);
  }
}

/** A task's image is the service's, or that with the digest the engine pinned (`REF@sha256:…`). */
export function sameImage(taskImage: string, image: string): boolean {
  return taskImage === image || taskImage.startsWith(`${image}@`);
}

/** "replica 2: failed: task: non-zero exit (1)" */
export function taskText(t: TaskSummary): string {
  const who = t.slot ? `replica ${t.slot}` : `task ${t.id.slice(0, 12)}`;
  const why = t.error ? `: ${t.error}` : t.message ? ` (${t.message})` : '';
  return `${who}: ${t.state}${why}`;
}
