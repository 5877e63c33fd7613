// Rollback = a promote of an image that is still on the engine, exactly as it was built:
// never a rebuild. Everything needed to print it travels with the image (the canonical
// master copy in its io.mastercopy.master-copy label, secrets by name only) and the
// ledger (its image id, its folder for secret files, the endpoint, the autoscale policy it
// served with), so no master copy file is needed.
import type { EngineClient } from '../engine/EngineClient';
import { LABEL_MASTER_COPY } from '../engine/labels';
import type { MasterCopy } from '../mastercopy/model';
import { activeVersion, type LedgerRecord } from './ledger';
import type { PromoteSource } from './promote';

export class RollbackError extends Error {
  override readonly name = 'RollbackError';
}

/** The record a rollback goes back to: the one of version `to`, or the version the active one replaced. */
export function rollbackRecord(
  ledger: readonly LedgerRecord[],
  name: string,
  to?: string,
): LedgerRecord {
  const active = activeVersion(ledger);
  if (!active)
    throw new RollbackError(
      `${name} has never been promoted on this engine, so there is nothing to roll back to (\`mastercopy history ${name}\`).`,
    );
  const wanted = to ?? active.record.replaced;
  if (!wanted)
    throw new RollbackError(
      `${active.version} is the first version of ${name} promoted on this engine; there is no earlier one. Name one with --to VERSION.`,
    );
  if (wanted === active.version) throw new RollbackError(`${name} already serves ${wanted}.`);
  const ok = (r: LedgerRecord) =>
    r.version === wanted && (r.outcome === 'promoted' || r.outcome === 'rolled-back');
  const record = [...ledger].reverse().find(ok);
  if (!record) {
    const known = [
      ...new Set(
        ledger
          .filter((r) => r.outcome === 'promoted' || r.outcome === 'rolled-back')
          .map((r) => r.version),
      ),
    ];
    throw new RollbackError(
      `${name} ${wanted} was never served on this engine; the ledger knows ${known.join(', ')} (\`mastercopy history ${name}\`).`,
    );
  }
  return record;
}

/** The promote source of a rollback to `record`: its image as it was built. */
export async function rollbackSource(
  engine: EngineClient,
  name: string,
  record: LedgerRecord,
  current: LedgerRecord | undefined,
  signal?: AbortSignal,
): Promise<PromoteSource> {
  const tag = `${name}:${record.version}`;
  const image = await engine.inspectImage(tag, signal);
  const howToRebuild = record.git
    ? `Rebuild it from the commit it was deployed from: git checkout ${record.git.commit.slice(0, 12)}` +
      `${record.git.dirty ? ' (it had uncommitted changes then)' : ''}, then mastercopy promote FILE.`
    : 'Rebuild it from the master copy file of that version: mastercopy promote FILE.';
  if (!image)
    throw new RollbackError(
      `The image ${tag} is no longer on the engine, so ${record.version} cannot be printed as it was. ${howToRebuild}`,
    );
  if (image.id !== record.imageId) {
    throw new RollbackError(
      `${tag} is now the image ${image.id.slice(7, 19)}, ` +
        `not the ${record.imageId.slice(7, 19)} that was served as ${record.version}; ` +
        `refusing to print another image under its name. ${howToRebuild}`,
    );
  }
  let mc: MasterCopy;
  try {
    mc = JSON.parse(image.labels[LABEL_MASTER_COPY] ?? '') as MasterCopy;
  } catch {
    throw new RollbackError(
      `${tag} does not carry its master copy (it was built by an older Master Copy), ` +
        `so it cannot be printed without its file. ${howToRebuild}`,
    );
  }
  return {
    kind: 'image',
    mc,
    folder: record.folder,
    image: { tag, imageId: image.id, digest: record.digest },
    gateway: current?.gateway ?? record.gateway,
    autoscale: record.autoscale ?? null,
  };
}
