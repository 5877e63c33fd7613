// Replace Drifted Copies: cattle, not pets. A drifted copy is never repaired in place; a
// fresh copy of the same version (from the image, as its version says) takes its place,
// and the drifted one goes once the fresh one is healthy.
//
// - Copies of the active version of a master copy with a gateway: the keeper does it (a
//   `replace` control request), because only it can take a copy out of the endpoint and
//   drain it first — so no request through the endpoint fails. The client waits for the
//   drifted copies to be gone.
// - Any other copies: printed here from the version's image (its secrets are the values a
//   sibling runs with, so they are never written anywhere new), waited for, and only when
//   every fresh copy is healthy are the drifted ones disposed of. A fresh copy that never
//   becomes healthy is taken back, and the drifted ones are left running: nothing half-made.
import type { EngineClient } from '../engine/EngineClient';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_MASTER_COPY,
  LABEL_NAME,
  LABEL_VERSION,
} from '../engine/labels';
import { CopiesError } from '../copies/errors';
import type { HealthProber } from '../copies/health';
import { printCopies, type PrintedCopy } from '../copies/print';
import { copyLabels, healthTiming } from '../copies/spec';
import { removeCopies, type CopyRef } from '../copies/dispose';
import { setDesired } from '../deploy/desired';
import { activeVersion, readLedger } from '../deploy/ledger';
import { findKeeper, keeperControl } from '../keeper/keeperContainer';
import type { MasterCopy } from '../mastercopy/model';
import { delay } from '../util/delay';
import { driftLines, type CopyDrift } from './drift';

export interface ReplaceOptions {
  signal?: AbortSignal;
  /** One line per step ("printed copy 3 of shop 1.0.0 for copy 1"). */
  onProgress?: (line: string) => void;
  /** Where published ports are probed from (the print's health wait); default 127.0.0.1. */
  probeHost?: string;
  /** Where the print's health wait probes `health.http` from (healthProberFor); default the published ports. */
  prober?: HealthProber;
  /** How long the keeper gets to replace its copies; default from the health check's timing. */
  keeperDeadlineMs?: number;
}

export interface ReplaceResult {
  /** The drifted copies now gone. */
  replaced: { version: string; index: number; id: string; by: 'keeper' | 'print' }[];
  /** The fresh copies printed here (the keeper's are in its status). */
  printed: PrintedCopy[];
}

/** A copies error (the CLI and the editor say it as one). */
export class ReplaceError extends CopiesError {}

/** Replaces the drifted copies of `name` in `drift` (checkDrift's answer); clean ones are left alone. */
export async function replaceDrifted(
  engine: EngineClient,
  name: string,
  drift: readonly CopyDrift[],
  options: ReplaceOptions = {},
): Promise<ReplaceResult> {
  const { signal, onProgress } = options;
  const drifted = drift.filter(
    (c) => c.role === 'copy' && c.name === name && c.state === 'drifted',
  );
  const result: ReplaceResult = { replaced: [], printed: [] };
  if (!drifted.length) return result;

  const active = activeVersion(await readLedger(engine, name, signal))?.version;
  const keeper = active ? await findKeeper(engine, name, signal) : undefined;
  const kept = keeper?.status === 'running' ? drifted.filter((c) => c.version === active) : [];
  if (keeper && kept.length) {
    const why = `drifted: ${driftLines(kept[0])[0].replace(/^[^:]*: /, '')}`;
    const { taken } = await keeperControl<{ taken: string[] }>(
      engine,
      keeper.id,
      ['replace', kept.map((c) => c.id).join(','), why],
      signal,
    );
    onProgress?.(
      `the keeper replaces ${taken.length} drifted cop${taken.length === 1 ? 'y' : 'ies'} of ${name} ${active}`,
    );
    const deadline =
      Date.now() +
      (options.keeperDeadlineMs ?? (await keeperDeadline(engine, `${name}:${active}`, signal)));
    for (;;) {
      const left = (
        await engine.listContainers({ [LABEL_NAME]: name, [LABEL_COPY]: true }, signal)
      ).filter((c) => taken.includes(c.id));
      if (!left.length) break;
      if (Date.now() > deadline)
        throw new ReplaceError(
          `The keeper of ${name} has not replaced ${left.length} drifted cop${left.length === 1 ? 'y' : 'ies'} yet ` +
            `(it goes on: \`mastercopy ps ${name}\` shows what it does, its log says why).`,
        );
      await delay(250, signal);
    }
    for (const c of kept.filter((k) => taken.includes(k.id)))
      result.replaced.push({ version: c.version, index: c.index, id: c.id, by: 'keeper' });
  }

  const rest = drifted.filter((c) => !result.replaced.some((r) => r.id === c.id));
  for (const version of [...new Set(rest.map((c) => c.version))]) {
    const old = rest.filter((c) => c.version === version);
    const printed = await printInPlaceOf(engine, name, version, old, options);
    result.printed.push(...printed);
    for (const c of old) result.replaced.push({ version, index: c.index, id: c.id, by: 'print' });
  }
  return result;
}

/** Fresh copies of `version` for `old`, healthy before `old` goes. */
async function printInPlaceOf(
  engine: EngineClient,
  name: string,
  version: string,
  old: readonly CopyDrift[],
  options: ReplaceOptions,
): Promise<PrintedCopy[]> {
  const { signal, onProgress } = options;
  const tag = `${name}:${version}`;
  const image = await engine.inspectImage(tag, signal);
  let mc: MasterCopy;
  try {
    mc = JSON.parse(image?.labels[LABEL_MASTER_COPY] ?? '') as MasterCopy;
  } catch {
    throw new ReplaceError(
      `${tag} cannot be printed again: ${image ? 'its image does not carry its master copy' : 'its image is gone'}. ` +
        `Print or promote the master copy again instead.`,
    );
  }
  const siblings = await engine.listContainers(
    { [LABEL_NAME]: name, [LABEL_VERSION]: version, [LABEL_COPY]: true },
    signal,
  );
  // Secrets and extra labels from a copy that did not drift, else from the first drifted one.
  const source =
    siblings.find((c) => !old.some((o) => o.id === c.id)) ??
    siblings.find((c) => c.id === old[0].id);
  const details = source && (await engine.inspectContainer(source.id, signal));
  if (!details) throw new ReplaceError(`No copy of ${tag} is left to print from.`);
  const secrets: Record<string, string> = {};
  for (const s of mc.secrets ?? []) {
    const entry = details.env.find((e) => e.startsWith(`${s.name}=`));
    if (entry === undefined)
      throw new ReplaceError(
        `The secret ${s.name} of ${tag} is not on any copy to take it from: promote ${version} again.`,
      );
    secrets[s.name] = entry.slice(s.name.length + 1);
  }
  // The sibling's labels that print does not derive from the master copy (a test run's) stay, as the keeper's do.
  const derived = new Set([
    ...Object.keys(copyLabels(mc, '', 0)),
    LABEL_MANAGED,
    LABEL_MASTER_COPY,
  ]);
  const extraLabels = Object.fromEntries(
    Object.entries(details.labels).filter(([k]) => !derived.has(k)),
  );
  onProgress?.(`printing ${old.length} fresh cop${old.length === 1 ? 'y' : 'ies'} of ${tag}`);
  const printed = await printCopies(engine, mc, '', {
    copies: old.length,
    env: {},
    readFile: () => Promise.reject(new Error('secrets come from a sibling')),
    secrets,
    extraLabels,
    image: { tag, imageId: image?.id ?? '', digest: image?.labels[LABEL_DIGEST] ?? '' },
    probeHost: options.probeHost,
    prober: options.prober,
    desiredBy: 'replace',
    signal,
  });
  const refs = (copies: readonly { id: string; index: number }[]): CopyRef[] =>
    copies.map((c) => ({ name, version, index: c.index, id: c.id, containerName: '' }));
  if (printed.unhealthy.length) {
    await removeCopies(engine, refs(printed.copies), { stopTimeoutSeconds: 2 });
    await setDesired(
      engine,
      name,
      { version, count: siblings.length, by: 'replace (failed)' },
      extraLabels,
    );
    const u = printed.unhealthy[0];
    throw new ReplaceError(
      `The fresh copy ${u.index} of ${tag} never became healthy (${u.reason}): it was taken back, and the drifted copies still run.`,
    );
  }
  await setDesired(engine, name, { version, count: siblings.length, by: 'replace' }, extraLabels);
  await removeCopies(engine, refs(old), { signal, stopTimeoutSeconds: 10 });
  for (const c of old) onProgress?.(`disposed of drifted copy ${c.index} of ${tag}`);
  if (!printed.copies.length) throw new CopiesError(`No fresh copy of ${tag} was printed.`);
  return printed.copies;
}

/** Long enough for the keeper to print, wait for health and drain: from the health check's timing. */
async function keeperDeadline(
  engine: EngineClient,
  tag: string,
  signal?: AbortSignal,
): Promise<number> {
  const image = await engine.inspectImage(tag, signal);
  let mc: MasterCopy | undefined;
  try {
    mc = JSON.parse(image?.labels[LABEL_MASTER_COPY] ?? '') as MasterCopy;
  } catch {
    mc = undefined;
  }
  const t = healthTiming(mc?.health);
  return t.startPeriodMs + (t.retries + 1) * (t.intervalMs + t.timeoutMs) + 30_000;
}
