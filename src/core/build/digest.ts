// The io.mastercopy.digest of an image: what a version was built from. Same digest, same
// image: building again is a no-op; a different digest under the same NAME:VERSION is
// refused, because a version never changes.
//
// It is sha256 over
//  - the canonical master copy: keys sorted, scalars in maps (env, labels, build.args)
//    as the strings they become, ports in their long form — so formatting, key order and
//    `8080` vs `{port: 8080}` do not matter, while every meaningful value does;
//  - every file the build context takes from the host, in context order (master copy
//    order, folders sorted by name): its relative path, its type, the mode it gets in
//    the image and the sha256 of its content (a symbolic link: its target).
// Left out, because they do not change the image or how its copies run: `copies` (how
// many are printed), `gateway` (the endpoint in front of them), `autoscale` (how many the
// keeper keeps), `description` and
// `owners` (documentation). Everything else counts, `runtime`, `volumes`, `health` and
// `secrets` (names and where they come from, never values) included: a version names
// one exact definition of the server, so that copies printed from it are identical.
import { createHash } from 'node:crypto';
import { normalizePort, type MasterCopy } from '../mastercopy/model';

export const DIGEST_EXCLUDED_KEYS = [
  'copies',
  'gateway',
  'autoscale',
  'description',
  'owners',
] as const;

/** Bumped if what goes into the digest ever changes meaning. */
const DIGEST_SCHEME = 'mastercopy-digest/1';

export interface DigestedFile {
  /** Path inside the build context. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** The mode it gets in the image. */
  mode: number;
  /** Files: sha256 of the content, hex. */
  sha256?: string;
  /** Symbolic links: the target. */
  linkTarget?: string;
}

/** The master copy as the digest sees it. */
export function canonicalMasterCopy(mc: MasterCopy): Record<string, unknown> {
  const out: Record<string, unknown> = { ...mc };
  for (const key of DIGEST_EXCLUDED_KEYS) delete out[key];
  const strings = (m: Record<string, unknown> | undefined) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined;
  if (mc.env) out.env = strings(mc.env);
  if (mc.labels) out.labels = strings(mc.labels);
  if (mc.build) out.build = { ...mc.build, args: strings(mc.build.args) };
  if (mc.ports) out.ports = mc.ports.map(normalizePort);
  return out;
}

/**
 * JSON with object keys in code-point order at every level; undefined members left out.
 * Only plain data: an object whose prototype holds values (set through a `__proto__` key)
 * would lose them here and in the digest, so it is refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw new TypeError('canonicalJson takes plain data: an object has a prototype of its own.');
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** "sha256:" + 64 hex digits. */
export function masterCopyDigest(mc: MasterCopy, files: readonly DigestedFile[]): string {
  const hash = createHash('sha256');
  hash.update(`${DIGEST_SCHEME}\n`);
  hash.update(canonicalJson(canonicalMasterCopy(mc)));
  for (const f of files) {
    hash.update('\n');
    hash.update(
      canonicalJson({
        path: f.path,
        type: f.type,
        mode: f.mode.toString(8).padStart(4, '0'),
        sha256: f.sha256,
        linkTarget: f.linkTarget,
      }),
    );
  }
  return `sha256:${hash.digest('hex')}`;
}
