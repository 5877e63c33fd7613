// The docker CLI, for what a test does around the product (restart a copy, trigger it,
// remove an image afterwards): never how the product itself talks to the engine.
import { execFile } from 'node:child_process';

/** Runs `docker ARGS…`; resolves with its stdout, rejects with its stderr. */
export function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('docker', args, (err, stdout, stderr) => (err ? reject(new Error(`docker ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))));
}

/** Removes a test's image; it may be gone already. */
export async function removeImage(tag: string): Promise<void> {
  await docker('rmi', tag).catch(() => undefined);
}
