// A small tar (ustar + pax) writer for build contexts. Written here rather than taken
// from a package because a build context needs little (files, folders, symbolic links)
// and we want full control of the headers: the mode is what COPY puts in the image, and
// owner and time are fixed so that the same master copy always sends the same bytes.
import { Readable } from 'node:stream';

export interface TarEntry {
  /** Relative posix path inside the archive, without a leading "./" or "/". */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (and setuid/setgid/sticky), e.g. 0o644. */
  mode: number;
  /** Files: the exact number of bytes `body` yields. */
  size?: number;
  /** Files: the bytes, possibly in chunks; must add up to `size`. */
  body?: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Symbolic links: where the link points (kept as written, never followed). */
  linkTarget?: string;
}

const BLOCK = 512;
/** A fixed modification time (2000-01-01): the context does not depend on when files were touched. */
export const TAR_MTIME = 946_684_800;
const MAX_OCTAL_11 = 0o77777777777;

/** The archive as a stream; stops (and ends with an error) when `signal` aborts. */
export function tarStream(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
  signal?: AbortSignal,
): Readable {
  return Readable.from(tarChunks(entries, signal), { objectMode: false });
}

export async function* tarChunks(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    signal?.throwIfAborted();
    const size = entry.type === 'file' ? (entry.size ?? 0) : 0;
    yield* headerBlocks(entry, size);
    if (entry.type !== 'file') continue;
    let written = 0;
    for await (const chunk of entry.body?.() ?? []) {
      signal?.throwIfAborted();
      written += chunk.length;
      if (written > size)
        throw new Error(
          `${entry.path} grew while it was being sent to the engine (expected ${size} bytes)`,
        );
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    if (written !== size)
      throw new Error(
        `${entry.path} changed while it was being sent to the engine (expected ${size} bytes, read ${written})`,
      );
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

function headerBlocks(entry: TarEntry, size: number): Buffer[] {
  const name =
    entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const link = entry.linkTarget ?? '';
  const pax: [string, string][] = [];
  // ustar fields hold 100 bytes of ASCII; anything longer or wider travels in a pax header.
  const fitsName = isAscii(name) && Buffer.byteLength(name) <= 100;
  if (!fitsName) pax.push(['path', name]);
  if (link && !(isAscii(link) && Buffer.byteLength(link) <= 100)) pax.push(['linkpath', link]);
  if (size > MAX_OCTAL_11) pax.push(['size', String(size)]);
  const out: Buffer[] = [];
  if (pax.length) {
    const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
    out.push(header({ name: 'PaxHeader', mode: 0o644, size: body.length, type: 'x', link: '' }));
    out.push(body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  const type = entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2';
  out.push(
    header({
      name: fitsName ? name : asciiStub(name),
      mode: entry.mode,
      size: size > MAX_OCTAL_11 ? 0 : size,
      type,
      link: pax.some(([k]) => k === 'linkpath') ? '' : link,
    }),
  );
  return out;
}

function header(h: {
  name: string;
  mode: number;
  size: number;
  type: string;
  link: string;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'ascii');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, 0); // uid: COPY makes files root's unless --chown says otherwise
  octal(b, 116, 8, 0); // gid
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, TAR_MTIME);
  b.write(h.type, 156, 1, 'ascii');
  b.write(h.link, 157, 100, 'ascii');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'ascii');
  return b;
}

function octal(b: Buffer, offset: number, length: number, value: number): void {
  b.write(value.toString(8).padStart(length - 1, '0') + '\u0000', offset, length, 'ascii');
}

/** "LEN key=value\n", where LEN counts the whole record including its own digits. */
export function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let len = restBytes + String(restBytes).length;
  if (String(len).length + restBytes !== len) len = restBytes + String(len).length;
  return `${len}${rest}`;
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

/** A readable stand-in name for readers that ignore pax headers. */
function asciiStub(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').slice(-99);
}
