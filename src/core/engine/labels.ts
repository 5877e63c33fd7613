// The labels Master Copy puts on everything it creates in an engine. They are how we
// find our own objects and the proof we need before touching one: the engine client
// lists only objects labelled `io.mastercopy.managed=true` and refuses to remove others.

/** Present (value "true") on every container, image, network and volume we create. */
export const LABEL_MANAGED = 'io.mastercopy.managed';
/** The master copy's `name`. */
export const LABEL_NAME = 'io.mastercopy.name';
/** The master copy's `version`. */
export const LABEL_VERSION = 'io.mastercopy.version';
/** sha256 of the canonical master copy plus every source it copies. */
export const LABEL_DIGEST = 'io.mastercopy.digest';
/** A copy's index among the copies of its version. */
export const LABEL_COPY = 'io.mastercopy.copy';

export const MANAGED_VALUE = 'true';

/**
 * Labels to match: a string value must be equal, `true` means "the label is present
 * with any value". The engine client always adds `io.mastercopy.managed=true`.
 */
export type LabelFilter = Readonly<Record<string, string | true>>;

/** Does an object with these labels carry our managed label and match the filter? */
export function matchesLabels(
  labels: Readonly<Record<string, string>> | null | undefined,
  filter: LabelFilter,
): boolean {
  if (labels?.[LABEL_MANAGED] !== MANAGED_VALUE) return false;
  return Object.entries(filter).every(([key, value]) =>
    value === true ? key in labels : labels[key] === value,
  );
}

/** The engine's `label` filter strings ("key" or "key=value"), always including the managed label. */
export function labelFilterArgs(filter: LabelFilter): string[] {
  const merged: Record<string, string | true> = { ...filter, [LABEL_MANAGED]: MANAGED_VALUE };
  return Object.entries(merged).map(([key, value]) => (value === true ? key : `${key}=${value}`));
}

/** What a non-copy object of ours is for: `keeper`, `record` (the ledger), `lock`, `keeper-image`. */
export const LABEL_ROLE = 'io.mastercopy.role';
/** On an image: the canonical master copy it was built from (JSON, secrets by name only). */
export const LABEL_MASTER_COPY = 'io.mastercopy.master-copy';
