// How a build reads the host's files: passed in, so that core stays testable and an
// editor could serve unsaved buffers one day. Symbolic links are reported, never followed.
// A file is read only through a descriptor opened without following a link (O_NOFOLLOW),
// and only once the opened file itself is the regular file that was looked at (fstat: same
// device and inode; on Linux also the same path): a writer that swaps a checked file for a
// link, or a folder on its path for one, between the look and the read gets an error,
// never the bytes of a file outside the master copy's folder.
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { describeKind, regularFileOpenFlags } from '../util/hostFile';

export interface FileInfo {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits and setuid/setgid/sticky. */
  mode: number;
  size: number;
  /** Which file it is: a read can insist on this very one. */
  identity?: FileIdentity;
}

export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The file at a path is no longer the one that was looked at (or never was a regular file). */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
}

export interface BuildFileSystem {
  /** The entry itself (a link is a link); undefined when it does not exist. */
  lstat(path: string): Promise<FileInfo | undefined>;
  /** The real path, every link resolved; undefined when it does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** Names in a folder. */
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /**
   * A regular file's bytes, never through a symbolic link; with `expect`, only if it is
   * still that file. Rejects with FileChangedError otherwise.
   */
  read(path: string, signal?: AbortSignal, expect?: FileIdentity): AsyncIterable<Uint8Array>;
}

const CHUNK = 64 * 1024;
// Where Linux says which file a descriptor is: the check that no folder on the path was swapped.
const PROC_FD = existsSync('/proc/self/fd') ? '/proc/self/fd' : undefined;

export const nodeBuildFileSystem: BuildFileSystem = {
  async lstat(path) {
    try {
      const s = await lstat(path);
      const type = s.isSymbolicLink()
        ? 'symlink'
        : s.isDirectory()
          ? 'directory'
          : s.isFile()
            ? 'file'
            : 'other';
      return { type, mode: s.mode & 0o7777, size: s.size, identity: { dev: s.dev, ino: s.ino } };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  },
  async realpath(path) {
    try {
      return await realpath(path);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  },
  readdir: (path) => readdir(path),
  readlink: (path) => readlink(path),
  read: readRegular,
};

async function* readRegular(
  path: string,
  signal?: AbortSignal,
  expect?: FileIdentity,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  let handle;
  try {
    handle = await open(path, regularFileOpenFlags(true));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP')
      throw new FileChangedError(
        `${path} is a symbolic link now, not the file that was checked; build again.`,
      );
    throw e;
  }
  try {
    const s = await handle.stat();
    if (!s.isFile())
      throw new FileChangedError(
        `${path} is ${describeKind(s)} now, not a regular file; build again.`,
      );
    if (expect && (s.dev !== expect.dev || s.ino !== expect.ino))
      throw new FileChangedError(
        `${path} was replaced by another file after it was checked; build again.`,
      );
    if (PROC_FD) {
      const opened = await readlink(`${PROC_FD}/${handle.fd}`).catch(() => path);
      if (opened !== path)
        throw new FileChangedError(
          `${path} led to ${opened} when it was opened (a folder on its path was replaced); build again.`,
        );
    }
    for (;;) {
      signal?.throwIfAborted();
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** What a bounded file system lets a build plan read (an untrusted workspace's preview). */
export interface ReadBounds {
  /** Bytes of file content, in all. */
  maxBytes: number;
  /** Entries looked at (lstat, readdir names), in all. */
  maxEntries: number;
  /** Why it is bounded, said when a bound is reached. */
  reason: string;
}

/** A bound of a BoundedBuildFileSystem was reached: the plan stops there. */
export class ReadBoundError extends Error {
  override readonly name = 'ReadBoundError';
}

/**
 * `inner`, but the whole plan may read at most `bounds.maxBytes` of content and look at
 * `bounds.maxEntries` entries: an untrusted workspace's preview reads a folder it did not
 * choose (a huge context, a deep tree), and what it does there must end. One per plan.
 */
export function boundedBuildFileSystem(
  inner: BuildFileSystem,
  bounds: ReadBounds,
): BuildFileSystem {
  let bytes = 0;
  let entries = 0;
  const count = (n: number) => {
    entries += n;
    if (entries > bounds.maxEntries)
      throw new ReadBoundError(
        `${bounds.reason}: the build context has more than ${bounds.maxEntries} entries, and no more are read.`,
      );
  };
  return {
    async lstat(path) {
      count(1);
      return inner.lstat(path);
    },
    realpath: (path) => inner.realpath(path),
    async readdir(path) {
      const names = await inner.readdir(path);
      count(names.length);
      return names;
    },
    readlink: (path) => inner.readlink(path),
    async *read(path, signal, expect) {
      for await (const chunk of inner.read(path, signal, expect)) {
        bytes += chunk.length;
        if (bytes > bounds.maxBytes)
          throw new ReadBoundError(
            `${bounds.reason}: the build context holds more than ${Math.round(bounds.maxBytes / 2 ** 20)} MiB, and no more is read.`,
          );
        yield chunk;
      }
    },
  };
}
