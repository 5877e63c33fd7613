// The docker CLI, for what a test does around the product (restart a copy, trigger it,
// remove an image afterwards): never how the product itself talks to the engine.
import { execFile } from 'node:child_process';

/** Runs `docker ARGS…`; resolves with its stdout, rejects with its stderr. */
export function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('docker', args, (err, stdout, stderr) =>
      err
        ? reject(new Error(`docker ${args.join(' ')}: ${stderr || err.message}`))
        : resolve(stdout),
    ),
  );
}

/** Removes a test's image; it may be gone already. */
export async function removeImage(tag: string): Promise<void> {
  await docker('rmi', tag).catch(() => undefined);
}

/**
 * Removes what a print or promote of master copy `name` keeps on the engine besides its
 * copies (its desired counts, ledger and lock: volumes named `mastercopy.NAME.…`), so that
 * test runs leave nothing behind. Only this test's unique names are ever passed.
 */
export async function removeDeployState(name: string): Promise<void> {
  const volumes = (
    await docker('volume', 'ls', '-q', '--filter', `name=^mastercopy\\.${name}\\.`).catch(() => '')
  )
    .split('\n')
    .filter((v) => v.startsWith(`mastercopy.${name}.`));
  if (volumes.length) await docker('volume', 'rm', ...volumes).catch(() => undefined);
}
