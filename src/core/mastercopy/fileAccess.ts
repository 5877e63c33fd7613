// How validation looks at the host's files (sources, Dockerfiles, secret files).
// Passed in so that the language service can be tested without a disk and
// used for unsaved documents (no folder: those checks are skipped).
import { realpathSync, statSync } from 'node:fs';

export interface FileAccess {
  /** The real path (symbolic links resolved), or undefined when the path does not exist. */
  realpath(path: string): string | undefined;
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
};
