// What the commands that talk to an engine share: argument parsing, reading and
// validating a master copy file, the engine client from --host, Ctrl-C as an abort
// signal, and errors turned into a message and an exit code (never a stack trace).
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BuildError, BuildStepError } from '../core/build/errors';
import { CopiesError, PortTakenError, SecretError } from '../core/copies/errors';
import { createEngineClient } from '../core/engine/DockerodeEngineClient';
import type { EngineClient } from '../core/engine/EngineClient';
import {
  EngineRequestError,
  EngineUnreachableError,
  NotManagedError,
  isAbortError,
} from '../core/engine/errors';
import {
  EngineHostError,
  nodeHostResolutionDeps,
  resolveEngineHost,
  type HostChoice,
} from '../core/engine/hostResolution';
import { nodeFileAccess } from '../core/mastercopy/fileAccess';
import type { MasterCopy } from '../core/mastercopy/model';
import { LineIndex } from '../core/mastercopy/positions';
import { valueRange } from '../core/mastercopy/schemaValidation';
import type { Diagnostic } from '../core/mastercopy/diagnostic';
import { masterCopyText, validateText } from '../core/mastercopy/validator';
import { MAX_MASTER_COPY_BYTES, type PathSegment } from '../core/mastercopy/yamlSource';
import { HostFileError, readRegularFileSync } from '../core/util/hostFile';
import { EXIT, UsageError, type CliIo } from './command';
import { oneLine, terminalJson } from './terminalText';

/** Exit code after Ctrl-C, as shells report it. */
export const EXIT_CANCELLED = 130;

/** The --host option every engine command takes. */
export const HOST_OPTION = { host: { type: 'string', short: 'H' } } as const;
export const HOST_HELP = `  -H, --host HOST  the Docker engine, like \`docker -H\` (unix:///…, tcp://…, ssh://…);
                   default: DOCKER_HOST, DOCKER_CONTEXT, the current docker context,
                   then unix:///var/run/docker.sock`;

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, allowPositionals: true, options, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** How a CLI user names the engine: what its messages tell them to do. */
export const CLI_HOST_CHOICE: HostChoice = {
  name: '--host',
  hint: 'pass --host (-H) or set DOCKER_HOST',
};

/** The engine named by --host, or resolved like the Docker CLI does. Throws EngineHostError. */
export function engineFromArgs(host: string | undefined, io: CliIo): EngineClient {
  return createEngineClient(
    resolveEngineHost(host, { ...nodeHostResolutionDeps(io.env), choice: CLI_HOST_CHOICE }),
  );
}

export interface LoadedMasterCopy {
  mc: MasterCopy;
  /** The master copy's folder (sources and secret files are relative to it). */
  folder: string;
  /** The path as shown to the user. */
  shown: string;
  /** Its warnings (1-based positions), for --json output. */
  problems: CliProblem[];
  /** Where in the file the value at `path` is (1-based), e.g. the build step that failed. */
  locate(path: readonly PathSegment[]): { line: number; column: number };
}

/** A diagnostic as the CLI shows it (1-based). */
export interface CliProblem {
  line: number;
  column: number;
  severity: string;
  message: string;
  code: string;
}

/** Does this argument name a master copy file (rather than a NAME or an id)? */
export function looksLikeFile(arg: string, io: CliIo): boolean {
  if (/\.ya?ml$/.test(arg) || arg.includes('/')) return true;
  const abs = resolve(io.cwd, arg);
  return existsSync(abs) && statSync(abs).isFile();
}

/**
 * The master copy name an optional FILE|NAME argument means (undefined: none given), or the
 * exit code when FILE cannot be loaded (its problems are printed).
 */
export function masterCopyNameArg(
  io: CliIo,
  command: string,
  arg: string | undefined,
): string | undefined | number {
  if (arg === undefined || !looksLikeFile(arg, io)) return arg;
  const loaded = loadMasterCopy(io, command, arg);
  return typeof loaded === 'number' ? loaded : loaded.mc.name;
}

/**
 * The text of a master copy file: a regular file (a link to a device or a FIFO would be
 * read forever) of at most MAX_MASTER_COPY_BYTES, and the problem when it is not UTF-8
 * (at its first bad byte). Throws HostFileError or the system's error.
 */
export function readMasterCopyFile(abs: string): { text: string; problem?: Diagnostic } {
  return masterCopyText(readRegularFileSync(abs, { maxBytes: MAX_MASTER_COPY_BYTES }));
}

/** Why a file could not be read, to follow "cannot read FILE: ". */
export function describeReadError(e: unknown): string {
  if (e instanceof HostFileError) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return (e as Error).message;
}

/** Reads a master copy file named on the command line; says why not on stderr and returns exit code 2. */
export function readFileArg(
  io: CliIo,
  command: string,
  file: string,
): { abs: string; shown: string; text: string; problem?: Diagnostic } | number {
  const abs = resolve(io.cwd, file);
  const shown = relative(io.cwd, abs) || abs;
  try {
    return { abs, shown, ...readMasterCopyFile(abs) };
  } catch (e) {
    io.stderr.write(
      `mastercopy ${command}: cannot read ${oneLine(file)}: ${oneLine(describeReadError(e))}\n`,
    );
    return EXIT.usage;
  }
}

/**
 * Reads and validates a master copy. Problems are written to stderr (FILE:LINE:COL: …), or
 * with `json` left to the caller (an invalid file is then {"status": "invalid", "file",
 * "problems"} on stdout). Returns the exit code instead when it cannot be used: 2
 * unreadable, 1 invalid.
 */
export function loadMasterCopy(
  io: CliIo,
  command: string,
  file: string,
  options: { json?: boolean } = {},
): LoadedMasterCopy | number {
  const read = readFileArg(io, command, file);
  if (typeof read === 'number') return read;
  const { abs, shown, text, problem } = read;
  const lines = new LineIndex(text);
  const at = (offset: number) => {
    const p = lines.positionAt(offset);
    return { line: p.line + 1, column: p.character + 1 };
  };
  // Bytes that are not UTF-8 are the one problem: any value read from them would be wrong.
  const validation = problem
    ? { diagnostics: [problem], masterCopy: undefined, parsed: undefined }
    : validateText(text, { path: abs }, nodeFileAccess);
  const problems = validation.diagnostics.map((d) => ({
    ...at(d.range.start),
    severity: d.severity,
    message: d.message,
    code: d.code,
  }));
  if (!options.json)
    for (const p of problems)
      io.stderr.write(
        `${oneLine(shown)}:${p.line}:${p.column}: ${p.severity}: ${oneLine(p.message)}\n`,
      );
  if (!validation.masterCopy) {
    if (options.json) writeJson(io, { status: 'invalid', file: shown, problems });
    else
      io.stderr.write(
        `mastercopy ${command}: ${oneLine(shown)} has errors; fix them first (mastercopy validate ${oneLine(shown)}).\n`,
      );
    return EXIT.problems;
  }
  const parsed = validation.parsed!;
  return {
    mc: validation.masterCopy,
    folder: dirname(abs),
    shown,
    problems,
    locate: (path) => at(valueRange(parsed, path).start),
  };
}

/** Runs `work` with an abort signal that Ctrl-C triggers. */
export async function withCancel<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = () => abort.abort(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
  process.once('SIGINT', onSigint);
  try {
    return await work(abort.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * An error as a message on stderr and an exit code: the engine unreachable or misnamed → 2,
 * cancelled → 130, what went wrong with the request (a missing secret, a taken port, a
 * failed build, the engine said no) → 1. Anything else is rethrown for main's handler.
 */
export function reportFailure(
  io: CliIo,
  command: string,
  e: unknown,
  loaded?: LoadedMasterCopy,
): number {
  if (isAbortError(e)) {
    io.stderr.write(`mastercopy ${command}: cancelled.\n`);
    return EXIT_CANCELLED;
  }
  if (e instanceof EngineUnreachableError || e instanceof EngineHostError) {
    io.stderr.write(`mastercopy ${command}: ${oneLine(e.message)}\n`);
    return EXIT.usage;
  }
  if (
    e instanceof SecretError ||
    e instanceof PortTakenError ||
    e instanceof CopiesError ||
    e instanceof BuildError ||
    e instanceof EngineRequestError ||
    e instanceof NotManagedError
  ) {
    // A build step that failed points at its line in the master copy, like a compiler would.
    const where = e instanceof BuildError && e.path && loaded ? loaded.locate(e.path) : undefined;
    io.stderr.write(
      where && loaded
        ? `${oneLine(loaded.shown)}:${where.line}:${where.column}: error: ${oneLine(e.message)}\n`
        : `mastercopy ${command}: ${oneLine(e.message)}\n`,
    );
    if (e instanceof BuildStepError && e.tail().length)
      io.stderr.write(
        `Last lines of the build output:\n${e
          .tail()
          .map((l) => `  ${oneLine(l)}`)
          .join('\n')}\n`,
      );
    return EXIT.problems;
  }
  throw e;
}

/** Progress on stderr, one line each; nothing with --quiet. */
export function progressWriter(io: CliIo, quiet: boolean | undefined): (line: string) => void {
  return quiet ? () => undefined : (line) => io.stderr.write(`${oneLine(line)}\n`);
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(terminalJson(value, 2) + '\n');
}

/** A whole number from an argument, or a UsageError naming it. */
export function wholeNumber(value: string, what: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not '${value}'`);
  return Number(value);
}
