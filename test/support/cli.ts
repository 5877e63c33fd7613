// Runs the `mastercopy` CLI in this process and captures what it writes.
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tty`: the streams say they are a terminal (isTTY), as a shell's would. */
export async function runCli(
  args: string[],
  {
    env = {},
    cwd = process.cwd(),
    tty = false,
  }: { env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          add(String(chunk));
          done();
        },
      }),
      tty ? { isTTY: true } : {},
    );
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}
