// The git commit of a master copy's folder, for the ledger: which commit was deployed and
// whether the folder had changes that no commit holds. git is run with an argument list
// (never a shell); no git, or no repository, is simply "unknown".
import { execFile } from 'node:child_process';
import type { GitState } from './ledger';

function git(folder: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-C', folder, ...args],
      { timeout: 5000, maxBuffer: 1024 * 1024 },
      (err, stdout) => resolve(err ? undefined : stdout),
    );
  });
}

export async function gitState(folder: string): Promise<GitState | null> {
  const commit = (await git(folder, ['rev-parse', 'HEAD']))?.trim();
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return null;
  const status = await git(folder, ['status', '--porcelain', '--', '.']);
  return { commit, dirty: status === undefined || status.trim() !== '' };
}
