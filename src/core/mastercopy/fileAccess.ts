// How validation looks at the host's files (sources, Dockerfiles, secret files).
// Passed in so that the language service can be tested without a disk and
// used for unsaved documents (no folder: those checks are skipped).
// Validation never reads a file: it only asks where a path leads and what is there.
import { realpathSync, statSync } from 'node:fs';
import { describeKind } from '../util/hostFile';

export interface FileAccess {
  /** The real path (symbolic links resolved), or undefined when the path does not exist. */
  realpath(path: string): string | undefined;
  /**
   * What the path leads to (links followed): a regular file, a folder, or something else
   * (a FIFO, a device, a socket) described in words; undefined when it does not exist.
   */
  kind?(path: string): 'file' | 'directory' | { other: string } | undefined;
}

export const nodeFileAccess: FileAccess = {
  realpath(path) {
    try {
      statSync(path);
      return realpathSync.native(path);
    } catch {
      return undefined;
    }
  },
  kind(path) {
    try {
      const s = statSync(path);
      return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : { other: describeKind(s) };
    } catch {
      return undefined;
    }
  },
};
