// How a build reads the host's files: passed in, so that core stays testable and an
// editor could serve unsaved buffers one day. Symbolic links are reported, never followed.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';

export interface FileInfo {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits and setuid/setgid/sticky. */
  mode: number;
  size: number;
}

export interface BuildFileSystem {
  /** The entry itself (a link is a link); undefined when it does not exist. */
  lstat(path: string): Promise<FileInfo | undefined>;
  /** The real path, every link resolved; undefined when it does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** Names in a folder. */
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** A file's bytes. */
  read(path: string, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

export const nodeBuildFileSystem: BuildFileSystem = {
  async lstat(path) {
    try {
      const s = await lstat(path);
      const type = s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
      return { type, mode: s.mode & 0o7777, size: s.size };
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
  read: (path, signal) => createReadStream(path, { signal }),
};

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
