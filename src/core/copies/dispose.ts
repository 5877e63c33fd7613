// Disposing of copies: stop them gracefully and remove them. Only ever objects with our
// labels: each removal is filtered by the copy's name, version and index labels, so a
// user's own container — whatever its name — is never touched. Volumes are state that
// outlives copies and are never removed here, nor is the ledger of its deployments; the
// keeper (its endpoint) goes with `all`, and the master copy's network when nothing of
// that name remains on it.
import type { EngineClient } from '../engine/EngineClient';
import { EngineRequestError, NotManagedError } from '../engine/errors';
import { LABEL_COPY, LABEL_NAME, LABEL_VERSION } from '../engine/labels';
import { CopiesError } from './errors';
import { copyIndex } from './ps';
import { forgetDesired, setDesired } from '../deploy/desired';
import { removeKeeper } from '../keeper/keeperContainer';
import { networkName } from './spec';

/**
 * A master copy's copies (one version, or every version with `all`); one copy by id
 * (a prefix of at least 4 hex digits) or container name; or `ref`, either of the two:
 * a master copy name when copies of that name exist, else a copy.
 */
export type DisposeTarget =
  { name: string; version?: string; all?: boolean } | { copy: string } | { ref: string };

export interface CopyRef {
  name: string;
  version: string;
  index: number;
  id: string;
  /** The container's name. */
  containerName: string;
}

export interface DisposeOptions {
  signal?: AbortSignal;
  /** Seconds a copy gets to stop after SIGTERM before it is killed; default 10. */
  stopTimeoutSeconds?: number;
  /** Asked with what would be disposed (when there is something); false cancels. */
  confirm?: (copies: readonly CopyRef[]) => Promise<boolean> | boolean;
  onProgress?: (
    event:
      | { kind: 'disposed'; copy: CopyRef }
      | { kind: 'network-removed'; name: string }
      | { kind: 'keeper-removed'; name: string },
  ) => void;
}

export interface DisposeResult {
  disposed: CopyRef[];
  /** Networks removed because no copy of their master copy remained. */
  networksRemoved: string[];
  /** Master copies whose keeper (endpoint) was removed, with `all`. */
  keepersRemoved: string[];
  /** `confirm` said no: nothing was touched. */
  cancelled: boolean;
}

/** The copies a target means, sorted by name, version, index. Throws CopiesError when it is ambiguous or names no copy. */
export async function findDisposeTargets(
  engine: EngineClient,
  target: DisposeTarget,
  signal?: AbortSignal,
): Promise<CopyRef[]> {
  if ('ref' in target) {
    if (
      (await engine.listContainers({ [LABEL_NAME]: target.ref, [LABEL_COPY]: true }, signal)).length
    )
      return findDisposeTargets(engine, { name: target.ref }, signal);
    try {
      return await findDisposeTargets(engine, { copy: target.ref }, signal);
    } catch (e) {
      if (e instanceof CopiesError && e.message.startsWith('No copy')) {
        throw new CopiesError(
          `Nothing to dispose for ${target.ref}: no master copy of that name has copies, ` +
            `and no copy has that id or container name. \`mastercopy ps\` lists the copies.`,
        );
      }
      throw e;
    }
  }
  if ('copy' in target) {
    const all = (
      await engine.listContainers(
        { [LABEL_NAME]: true, [LABEL_VERSION]: true, [LABEL_COPY]: true },
        signal,
      )
    )
      .map(toRef)
      .filter(isRef);
    const wanted = target.copy.toLowerCase();
    const matches = all.filter(
      (c) =>
        c.containerName === target.copy ||
        (/^[0-9a-f]{4,64}$/.test(wanted) && c.id.startsWith(wanted)),
    );
    if (matches.length === 0)
      throw new CopiesError(
        `No copy with the id or name ${target.copy}. \`mastercopy ps\` lists the copies ` +
          `(only copies printed by Master Copy can be disposed).`,
      );
    if (matches.length > 1)
      throw new CopiesError(
        `${target.copy} matches ${matches.length} copies (${matches.map((c) => c.id.slice(0, 12)).join(', ')}): give more of the id.`,
      );
    return matches;
  }
  if (target.all && target.version !== undefined)
    throw new CopiesError(
      'Dispose either one version (NAME:VERSION) or all of them (--all), not both.',
    );
  const filter: Record<string, string | true> = {
    [LABEL_NAME]: target.name,
    [LABEL_VERSION]: target.version ?? true,
    [LABEL_COPY]: true,
  };
  const copies = (await engine.listContainers(filter, signal)).map(toRef).filter(isRef);
  if (target.version === undefined && !target.all) {
    const versions = [...new Set(copies.map((c) => c.version))].sort();
    if (versions.length > 1) {
      throw new CopiesError(
        `${target.name} has copies of ${versions.length} versions (${versions.join(', ')}): ` +
          `name one (${target.name}:${versions[0]}) or dispose of all of them (--all).`,
      );
    }
  }
  return copies.sort(
    (a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0) || a.index - b.index,
  );
}

/** Disposes of the target's copies (in parallel), then of each emptied master copy's network. */
export async function disposeCopies(
  engine: EngineClient,
  target: DisposeTarget,
  options: DisposeOptions = {},
): Promise<DisposeResult> {
  const copies = await findDisposeTargets(engine, target, options.signal);
  if (copies.length && options.confirm && !(await options.confirm(copies)))
    return { disposed: [], networksRemoved: [], keepersRemoved: [], cancelled: true };
  const all = 'name' in target && target.all === true;
  const keepersRemoved: string[] = [];
  // The keeper goes first with --all: it would otherwise replace the copies as they go.
  if (all && (await removeKeeper(engine, target.name, options.signal))) {
    keepersRemoved.push(target.name);
    options.onProgress?.({ kind: 'keeper-removed', name: target.name });
  }
  if (!all) await lowerDesired(engine, copies, options.signal);
  await removeCopies(engine, copies, options);
  // Nothing of it runs any more: its desired counts go too (its ledger stays).
  if (all) await forgetDesired(engine, target.name, options.signal);
  const names = 'name' in target ? [target.name] : [...new Set(copies.map((c) => c.name))];
  const networksRemoved: string[] = [];
  for (const name of names) {
    if (await removeNetworkIfUnused(engine, name, options.signal)) {
      networksRemoved.push(networkName(name));
      options.onProgress?.({ kind: 'network-removed', name: networkName(name) });
    }
  }
  return { disposed: copies, networksRemoved, keepersRemoved, cancelled: false };
}

/**
 * What is disposed of on purpose is not to be healed: each version's desired count goes
 * down by what is removed, before it is removed, so that its keeper does not replace it.
 */
async function lowerDesired(
  engine: EngineClient,
  copies: readonly CopyRef[],
  signal?: AbortSignal,
): Promise<void> {
  const versions = new Map<string, CopyRef[]>();
  for (const c of copies)
    versions.set(`${c.name}\u0000${c.version}`, [
      ...(versions.get(`${c.name}\u0000${c.version}`) ?? []),
      c,
    ]);
  for (const list of versions.values()) {
    const { name, version } = list[0];
    const remaining = (
      await engine.listContainers(
        { [LABEL_NAME]: name, [LABEL_VERSION]: version, [LABEL_COPY]: true },
        signal,
      )
    ).filter((c) => !list.some((x) => x.id === c.id)).length;
    await setDesired(engine, name, { version, count: remaining, by: 'dispose' });
  }
}

/** Stops and removes these copies in parallel, each only if it still carries its labels. */
export async function removeCopies(
  engine: EngineClient,
  copies: readonly CopyRef[],
  options: Pick<DisposeOptions, 'signal' | 'stopTimeoutSeconds' | 'onProgress'> = {},
): Promise<void> {
  const results = await Promise.allSettled(
    copies.map(async (copy) => {
      const filter = {
        [LABEL_NAME]: copy.name,
        [LABEL_VERSION]: copy.version,
        [LABEL_COPY]: String(copy.index),
      };
      await engine.stopAndRemoveContainer(copy.id, filter, {
        stopTimeoutSeconds: options.stopTimeoutSeconds ?? 10,
        signal: options.signal,
      });
      options.onProgress?.({ kind: 'disposed', copy });
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Removes `mastercopy-NAME` when no copy of NAME remains. True when it removed it. */
export async function removeNetworkIfUnused(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if ((await engine.listContainers({ [LABEL_NAME]: name }, signal)).length > 0) return false;
  const wanted = networkName(name);
  const network = (await engine.listNetworks({ [LABEL_NAME]: name }, signal)).find(
    (n) => n.name === wanted,
  );
  if (!network) return false;
  try {
    await engine.removeNetwork(network.id, { [LABEL_NAME]: name }, signal);
    return true;
  } catch (e) {
    // Someone attached their own container to it: leave the network (and that container) be.
    if (
      e instanceof NotManagedError ||
      (e instanceof EngineRequestError && (e.statusCode === 403 || e.statusCode === 409))
    )
      return false;
    throw e;
  }
}

function toRef(c: {
  id: string;
  name: string;
  labels: Record<string, string>;
}): CopyRef | undefined {
  const index = copyIndex(c.labels);
  if (index === undefined) return undefined;
  return {
    name: c.labels[LABEL_NAME],
    version: c.labels[LABEL_VERSION],
    index,
    id: c.id,
    containerName: c.name,
  };
}

function isRef(c: CopyRef | undefined): c is CopyRef {
  return c !== undefined;
}
