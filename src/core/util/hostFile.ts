// Reading a host file that a master copy is, or names: only a regular file, and only up
// to a bound. A path can be a symbolic link (committed to a repository, say) to /dev/zero,
// a FIFO or a socket, and reading one of those never ends or blocks for good. So the path
// is checked before it is opened (opening a device can have effects of its own), opened
// without blocking and without becoming a controlling terminal, and the opened file
// itself is checked again before a byte is read; reading stops one chunk past the bound.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';

export const MIB = 1024 * 1024;

/** A path that is not a regular file, or one larger than the bound. */
export class HostFileError extends Error {
  override readonly name = 'HostFileError';
  constructor(
    /** Says what is wrong, to follow "cannot read FILE: ". */
    message: string,
    readonly code: 'not-regular' | 'too-large' | 'changed' | 'not-utf8',
  ) {
    super(message);
  }
}

export interface ReadRegularFileOptions {
  maxBytes: number;
  /** Refuse a symbolic link instead of following it (O_NOFOLLOW). */
  noFollow?: boolean;
}

// Not defined on Windows, where neither a FIFO nor O_NOFOLLOW exist in this form.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const CHUNK = 64 * 1024;

/** Open flags for reading a file that must be regular: never blocks on a FIFO, never takes a terminal. */
export function regularFileOpenFlags(noFollow = false): number {
  return constants.O_RDONLY | O_NONBLOCK | O_NOCTTY | (noFollow ? O_NOFOLLOW : 0);
}

/** What a path is, in words: "a FIFO (named pipe)", "a character device", … */
export function describeKind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** "4 MiB", "6.3 MiB". */
export function mebibytes(bytes: number): string {
  const m = bytes / MIB;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
}

/** Throws HostFileError unless `s` is a regular file within the bound. */
export function checkRegularFile(s: Stats, maxBytes: number): void {
  if (!s.isFile())
    throw new HostFileError(`it is ${describeKind(s)}, not a regular file`, 'not-regular');
  if (s.size > maxBytes)
    throw new HostFileError(
      `it is ${mebibytes(s.size)}; at most ${mebibytes(maxBytes)} are read`,
      'too-large',
    );
}

/**
 * The bytes of the regular file at `path` (a symbolic link is followed unless `noFollow`).
 * Throws HostFileError (not regular, too large, swapped while opening) or the system's error
 * (ENOENT, EACCES, ELOOP for a link with `noFollow`, …).
 */
export function readRegularFileSync(path: string, options: ReadRegularFileOptions): Buffer {
  const { maxBytes, noFollow = false } = options;
  const before = noFollow ? lstatSync(path) : statSync(path);
  checkRegularFile(before, maxBytes);
  const fd = openSync(path, regularFileOpenFlags(noFollow));
  try {
    const opened = fstatSync(fd);
    checkRegularFile(opened, maxBytes);
    if (opened.dev !== before.dev || opened.ino !== before.ino)
      throw new HostFileError('it was replaced while it was being opened; try again', 'changed');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      // It grew after the check (or the size lied, as /proc files do).
      if (total > maxBytes)
        throw new HostFileError(
          `it is larger than ${mebibytes(maxBytes)}, at most what is read`,
          'too-large',
        );
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
