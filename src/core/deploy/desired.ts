// How many copies of a version should run: the count of the last print, scale, dispose or
// promote of it (or of the keeper's autoscaling), kept on the engine like the ledger so
// that the keeper, which keeps that count, needs no client. Each is an immutable volume,
// `mastercopy.NAME.desired.000042`, the newest one of a version wins; older ones are
// pruned (they are state, not history: the ledger is the history).
import type { EngineClient } from '../engine/EngineClient';
import { LABEL_MANAGED, LABEL_NAME, LABEL_ROLE } from '../engine/labels';
import { createOwnVolume } from './ownVolume';

export const ROLE_DESIRED = 'desired';
export const LABEL_DESIRED = 'io.mastercopy.desired';
/** How many desired-count records of a master copy are kept. */
const KEEP = 8;

export interface DesiredCount {
  seq: number;
  version: string;
  count: number;
  /** ISO time. */
  at: string;
  /** "print", "scale", "dispose", "promote", "autoscale". */
  by: string;
  /** Why, in words (an autoscaling decision says its numbers). */
  reason?: string;
}

export function desiredVolumeName(name: string, seq: number): string {
  return `mastercopy.${name}.desired.${String(seq).padStart(6, '0')}`;
}

async function listDesired(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<{ volume: string; record: DesiredCount; labels: Record<string, string> }[]> {
  const volumes = await engine.listVolumes(
    { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_DESIRED },
    signal,
  );
  const out: { volume: string; record: DesiredCount; labels: Record<string, string> }[] = [];
  for (const v of volumes) {
    try {
      const record = JSON.parse(v.labels[LABEL_DESIRED] ?? '') as DesiredCount;
      if (
        typeof record.seq === 'number' &&
        typeof record.version === 'string' &&
        Number.isInteger(record.count)
      )
        out.push({ volume: v.name, record, labels: v.labels });
    } catch {
      // not ours to read: skipped
    }
  }
  return out.sort((a, b) => a.record.seq - b.record.seq);
}

/** The newest desired count of each version of `name`. */
export async function readDesired(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<Map<string, DesiredCount>> {
  const out = new Map<string, DesiredCount>();
  for (const { record } of await listDesired(engine, name, signal)) out.set(record.version, record);
  return out;
}

/**
 * Records that `count` copies of `version` should run; prunes the oldest records. Without
 * `extraLabels` (the keeper's own records) the newest record's extra labels (a test run's) carry over.
 */
export async function setDesired(
  engine: EngineClient,
  name: string,
  desired: Omit<DesiredCount, 'seq' | 'at'>,
  extraLabels?: Record<string, string>,
): Promise<DesiredCount> {
  const existing = await listDesired(engine, name);
  const own = new Set<string>([LABEL_NAME, LABEL_ROLE, LABEL_DESIRED, LABEL_MANAGED]);
  extraLabels ??= Object.fromEntries(
    Object.entries(existing.at(-1)?.labels ?? {}).filter(([k]) => !own.has(k)),
  );
  let seq = (existing.at(-1)?.record.seq ?? 0) + 1;
  for (let attempt = 0; attempt < 20; attempt++, seq++) {
    const record: DesiredCount = { seq, at: new Date().toISOString(), ...desired };
    const labels = {
      ...extraLabels,
      [LABEL_NAME]: name,
      [LABEL_ROLE]: ROLE_DESIRED,
      [LABEL_DESIRED]: JSON.stringify(record),
    };
    if (await createOwnVolume(engine, desiredVolumeName(name, seq), labels)) {
      for (const old of existing.slice(0, Math.max(0, existing.length + 1 - KEEP)))
        await engine
          .removeVolume(old.volume, { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_DESIRED })
          .catch(() => undefined);
      return record;
    }
  }
  throw new Error(
    `Could not record the desired count of ${name}: 20 sequence numbers in a row were taken by other writers.`,
  );
}

/** Removes one record (`seq`): the one before it holds again. */
export async function removeDesired(
  engine: EngineClient,
  name: string,
  seq: number,
): Promise<void> {
  await engine.removeVolume(desiredVolumeName(name, seq), {
    [LABEL_NAME]: name,
    [LABEL_ROLE]: ROLE_DESIRED,
  });
}

/** Removes every desired-count record of `name` (nothing of it runs any more). */
export async function forgetDesired(
  engine: EngineClient,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  for (const { volume } of await listDesired(engine, name, signal))
    await engine
      .removeVolume(volume, { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_DESIRED }, signal)
      .catch(() => undefined);
}
