// Scaling one version of a master copy to N copies: up prints the difference (indices
// continue after the highest), down stops gracefully and removes the highest indices.
// Every existing copy of the version counts, whatever its state: `mastercopy ps` shows
// the same count. An autoscaled active version is refused: its keeper sets its count.
import type { EngineClient } from '../engine/EngineClient';
import type { MasterCopy } from '../mastercopy/model';
import { removeCopies, removeNetworkIfUnused, type CopyRef } from './dispose';
import { CopiesError } from './errors';
import {
  MAX_COPIES,
  printCopies,
  versionFilter,
  type PrintOptions,
  type PrintResult,
} from './print';
import { copyIndex } from './ps';
import { setDesired } from '../deploy/desired';
import { activeVersion, readLedger } from '../deploy/ledger';
import { autoscaleText } from '../keeper/autoscaler';

export interface ScaleOptions extends Omit<PrintOptions, 'copies'> {
  /** Seconds a removed copy gets to stop after SIGTERM; default 10. */
  stopTimeoutSeconds?: number;
  onRemoved?: (copy: CopyRef) => void;
}

export interface ScaleResult {
  before: number;
  after: number;
  /** When scaling up: the print of the new copies (with their health). */
  printed?: PrintResult;
  /** When scaling down: the copies removed, highest index first. */
  removed: CopyRef[];
}

export async function scaleCopies(
  engine: EngineClient,
  mc: MasterCopy,
  folder: string,
  n: number,
  options: ScaleOptions,
): Promise<ScaleResult> {
  if (!Number.isInteger(n) || n < 0 || n > MAX_COPIES)
    throw new CopiesError(`Scale to a whole number of copies from 0 to ${MAX_COPIES}, not ${n}.`);
  // An autoscaled version's count is its keeper's: two hands on one count would fight.
  const active = activeVersion(await readLedger(engine, mc.name, options.signal));
  // (A dry run only reports: the count stays the user's.)
  const policy =
    active?.version === mc.version && !active.record.autoscale?.dryRun
      ? active.record.autoscale
      : undefined;
  if (policy) {
    throw new CopiesError(
      `${mc.name} ${mc.version} is autoscaled by its keeper (${autoscaleText(policy)}), so its count is not set by hand. ` +
        `To change the bounds, edit \`autoscale\` and promote; to set a count, remove \`autoscale\` and promote. ` +
        `\`mastercopy gateway ${mc.name}\` shows the last decisions.`,
    );
  }
  const existing = (await engine.listContainers(versionFilter(mc), options.signal))
    .map((c) => ({
      name: mc.name,
      version: mc.version,
      index: copyIndex(c.labels),
      id: c.id,
      containerName: c.name,
    }))
    .filter((c): c is CopyRef => c.index !== undefined)
    .sort((a, b) => b.index - a.index);
  const before = existing.length;
  if (n > before) {
    const printed = await printCopies(engine, mc, folder, {
      ...options,
      copies: n - before,
      desiredBy: 'scale',
    });
    return { before, after: n, printed, removed: [] };
  }
  // Before the removal, so that a keeper does not replace what is being removed.
  await setDesired(
    engine,
    mc.name,
    { version: mc.version, count: n, by: 'scale' },
    options.extraLabels,
  );
  const removed = existing.slice(0, before - n);
  await removeCopies(engine, removed, {
    signal: options.signal,
    stopTimeoutSeconds: options.stopTimeoutSeconds,
    onProgress: (e) => e.kind === 'disposed' && options.onRemoved?.(e.copy),
  });
  if (n === 0) await removeNetworkIfUnused(engine, mc.name, options.signal);
  return { before, after: n, removed };
}
