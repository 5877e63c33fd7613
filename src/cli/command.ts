// What every CLI command looks like. One command per file under commands/.
import type { Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  name: string;
  /** One line for `mastercopy --help`. */
  summary: string;
  /** The whole `mastercopy COMMAND --help` text. */
  help: string;
  /** Resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;
