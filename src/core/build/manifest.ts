// What an image was built from beyond its master copy, carried in two labels so that a later
// `mastercopy diff` can say what a promote would change without the old files at hand:
//   io.mastercopy.files          {path: "MODE SIZE SHA256" | "link TARGET"}: every file and link
//                                the build copies (canonical JSON), from the hashes the digest
//                                already took. With `from` the paths are where they land in the
//                                image; with `dockerfile:` (whose COPY lines we do not read) they
//                                are relative to the build context. `null`: too many to list.
//   io.mastercopy.base-image-id  the id `from` named when the image was built (set by the build,
//                                which inspects it anyway), to tell when a tag moved.
// Neither is part of the digest: they describe the build, they do not define it.
import { posix } from 'node:path';
import type { MasterCopy } from '../mastercopy/model';
import { canonicalJson } from './digest';
import type { ContextEntry } from './plan';

export const LABEL_FILES = 'io.mastercopy.files';
export const LABEL_BASE_IMAGE_ID = 'io.mastercopy.base-image-id';

/** Past this the manifest is left out (`null`): labels travel in the build request's URL. */
export const MAX_MANIFEST_CHARS = 256 * 1024;

export type FileManifest = Record<string, string>;

/** One manifest value, read back. */
export type ManifestItem =
  | { type: 'file'; mode: number; size: number; sha256: string }
  | { type: 'symlink'; target: string };

/**
 * The manifest's entries of a build context, by path (a later file on the same path wins, as
 * its COPY does), with the context entry each one came from.
 */
export function manifestEntries(
  mc: MasterCopy,
  context: readonly ContextEntry[],
): Map<string, ContextEntry> {
  const out = new Map<string, ContextEntry>();
  for (const e of context) {
    if (e.generated || (e.type !== 'file' && e.type !== 'symlink')) continue;
    const path = mc.dockerfile !== undefined ? e.path : imagePath(mc, e.path);
    if (path === undefined) continue;
    out.delete(path); // re-added last: the map keeps the order in which the image gets them
    out.set(path, e);
  }
  return out;
}

/** The io.mastercopy.files value of a build context. */
export function manifestLabel(mc: MasterCopy, context: readonly ContextEntry[]): string {
  const manifest: FileManifest = {};
  for (const [path, e] of manifestEntries(mc, context)) manifest[path] = manifestValue(e);
  const text = canonicalJson(manifest);
  return text.length > MAX_MANIFEST_CHARS ? 'null' : text;
}

export function manifestValue(e: ContextEntry): string {
  return e.type === 'symlink'
    ? `link ${e.linkTarget ?? ''}`
    : `${e.mode.toString(8).padStart(4, '0')} ${e.size} ${e.sha256 ?? ''}`;
}

/**
 * An image's manifest: undefined when it has none (built by an older Master Copy), null when
 * it was too large to keep.
 */
export function parseManifest(
  label: string | undefined,
): Map<string, ManifestItem> | null | undefined {
  if (label === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(label);
  } catch {
    return undefined;
  }
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out = new Map<string, ManifestItem>();
  for (const [path, value] of Object.entries(raw as Record<string, unknown>)) {
    const item = typeof value === 'string' ? parseItem(value) : undefined;
    if (item) out.set(path, item);
  }
  return out;
}

export function parseItem(value: string): ManifestItem | undefined {
  if (value.startsWith('link ')) return { type: 'symlink', target: value.slice(5) };
  const m = /^([0-7]{3,4}) ([0-9]+) ([0-9a-f]{64})$/.exec(value);
  return m
    ? { type: 'file', mode: parseInt(m[1], 8), size: Number(m[2]), sha256: m[3] }
    : undefined;
}

/** Where context path files/I[/REST] lands in the image: files[I].path[/REST]. */
function imagePath(mc: MasterCopy, contextPath: string): string | undefined {
  const m = /^files\/([0-9]+)(\/.*)?$/.exec(contextPath);
  const file = m ? mc.files?.[Number(m[1])] : undefined;
  if (!file) return undefined;
  return m?.[2] ? posix.join(file.path, m[2]) : file.path;
}
