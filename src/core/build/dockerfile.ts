// The Dockerfile generated from a master copy (with `from`). A value from the master copy
// must never be able to start a new instruction or change the one it sits in, so every
// value travels in one of three escaped forms, each checked against a real engine:
//  - exec form: a JSON array of JSON strings (RUN, CMD, ENTRYPOINT, HEALTHCHECK, COPY).
//    A newline becomes "\n" inside a JSON string, so the instruction stays one line.
//  - shell words inside COPY's JSON strings: the builder expands `$VAR` and strips quotes
//    there, even in exec form, so `\`, `$`, quotes and blanks get a backslash in front.
//  - one double-quoted string (ENV values, WORKDIR) with `\`, `$` and `"` escaped; the
//    line then ends in `"`, never in a `\` or a blank the parser would take for a line
//    continuation. A line break cannot be written this way at all, so it is refused.
// FROM, USER, --chown, ARG and ENV names, ports and durations are checked against their
// (harmless) patterns and written as they are.
// Labels never appear here: they go through the build API. Neither do secrets, ever.
// Shell-form commands run as ["/bin/sh", "-c", COMMAND]: the same as Docker's shell form,
// without the Dockerfile parser ever seeing the command as text.
import type { Command, MasterCopy } from '../mastercopy/model';
import { normalizePort } from '../mastercopy/model';
import type { PathSegment } from '../mastercopy/yamlSource';
import { BuildPlanError } from './errors';

export interface DockerfileInstruction {
  /** One line of the Dockerfile. */
  text: string;
  /** The part of the master copy it comes from (for errors and the preview). */
  origin: PathSegment[];
}

export interface GeneratedDockerfile {
  text: string;
  /** In order: instruction i is the engine's step i + 1. */
  instructions: DockerfileInstruction[];
}

const SHELL = '/bin/sh';
const DURATION = /^[0-9]+(ms|s|m|h)$/;
// The schema's pattern for `from` (validation reports it there).
const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;
const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/** A JSON string that is pure single-line text, also for readers that split on U+2028/U+2029. */
export function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** An exec-form argument list: `["a", "b"]`. */
export function execForm(args: readonly string[]): string {
  return `[${args.map(jsonString).join(', ')}]`;
}

/**
 * A word the builder expands (`$VAR`, quotes, backslashes), escaped so that it arrives as
 * written. Only inside exec form (COPY expands the strings of its JSON array): at the end
 * of a line, an escaped blank or backslash would read as a line continuation.
 */
export function shellWord(s: string): string {
  return s.replace(/[\\$'" \t]/g, (c) => `\\${c}`);
}

/** A double-quoted value (ENV, WORKDIR) with `\`, `$` and `"` escaped. Refuses line breaks. */
export function quotedValue(s: string, origin: PathSegment[], what: QuotedValueKind): string {
  refuseLineBreaks(s, origin, what);
  return `"${s.replace(/[\\$"]/g, (c) => `\\${c}`)}"`;
}

/** The argument list a command runs as: a list as is, a string through /bin/sh -c. */
export function commandArgs(command: Command): string[] {
  return typeof command === 'string' ? [SHELL, '-c', command] : [...command];
}

/**
 * Why `s` cannot be a double-quoted Dockerfile value (ENV, WORKDIR), or undefined when it
 * can. Validation reports the same (semantic.ts), at the value.
 */
export function quotedValueProblem(
  s: string,
  origin: readonly PathSegment[],
  what: QuotedValueKind,
): string | undefined {
  return /[\r\n\0]/.test(s)
    ? `${displayOrigin(origin)}: a line break (or NUL) cannot be part of ${what} in an image; write the value on one line.`
    : undefined;
}

export type QuotedValueKind = 'an environment variable' | 'a path';

function refuseLineBreaks(s: string, origin: PathSegment[], what: QuotedValueKind): void {
  const problem = quotedValueProblem(s, origin, what);
  if (problem) throw new BuildPlanError(problem, origin);
}

/** `env.LOG_LEVEL`, `build.steps[2]`. */
export function displayOrigin(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * The Dockerfile for a master copy with `from`. `contextPaths[i]` is where files[i] sits in
 * the build context (see plan.ts); modes travel in the context, owners as --chown.
 */
export function generateDockerfile(
  mc: MasterCopy,
  contextPaths: readonly string[],
): GeneratedDockerfile {
  if (mc.from === undefined)
    throw new BuildPlanError('A Dockerfile is generated only for a master copy with `from`.', [
      'from',
    ]);
  const out: DockerfileInstruction[] = [];
  const add = (origin: PathSegment[], text: string) => out.push({ origin, text });

  if (!IMAGE_REF.test(mc.from))
    throw new BuildPlanError(
      `from: ${JSON.stringify(mc.from)} is not an image reference like busybox:stable.`,
      ['from'],
    );
  add(['from'], `FROM ${mc.from}`);

  // Only names here: the values go through the build API's build args.
  for (const name of Object.keys(mc.build?.args ?? {})) {
    checkName(name, ['build', 'args', name]);
    add(['build', 'args', name], `ARG ${name}`);
  }
  // Before the steps, so that they see the image's environment (PATH and the like).
  for (const [name, value] of Object.entries(mc.env ?? {})) {
    checkName(name, ['env', name]);
    add(
      ['env', name],
      `ENV ${name}=${quotedValue(String(value), ['env', name], 'an environment variable')}`,
    );
  }
  (mc.build?.steps ?? []).forEach((step, i) =>
    add(['build', 'steps', i], `RUN ${execForm(commandArgs(step))}`),
  );

  // Files after the steps: the steps prepare the system, the files are the application
  // (and change more often, so the steps stay cached).
  (mc.files ?? []).forEach((file, i) => {
    const source = contextPaths[i];
    if (source === undefined)
      throw new BuildPlanError(`files[${i}] has no place in the build context.`, ['files', i]);
    let flags = '';
    if (file.owner !== undefined) {
      if (!OWNER.test(file.owner))
        throw new BuildPlanError(
          `files[${i}].owner must be uid[:gid] or user[:group], like 1000:1000.`,
          ['files', i, 'owner'],
        );
      flags = `--chown=${file.owner} `;
    }
    add(['files', i], `COPY ${flags}${execForm([shellWord(source), shellWord(file.path)])}`);
  });

  (mc.ports ?? []).forEach((p, i) => {
    const { port, protocol } = normalizePort(p);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new BuildPlanError(`ports[${i}] is not a port number.`, ['ports', i]);
    add(['ports', i], `EXPOSE ${port}/${protocol === 'udp' ? 'udp' : 'tcp'}`);
  });

  const health = mc.health;
  if (health?.command !== undefined) {
    const options: string[] = [];
    for (const [key, flag] of [
      ['interval', 'interval'],
      ['timeout', 'timeout'],
      ['startPeriod', 'start-period'],
    ] as const) {
      const value = health[key];
      if (value === undefined) continue;
      if (!DURATION.test(value))
        throw new BuildPlanError(`health.${key} must be a duration like 2s.`, ['health', key]);
      options.push(`--${flag}=${value}`);
    }
    if (health.retries !== undefined) {
      if (!Number.isInteger(health.retries) || health.retries < 0)
        throw new BuildPlanError('health.retries must be a whole number.', ['health', 'retries']);
      options.push(`--retries=${health.retries}`);
    }
    add(
      ['health', 'command'],
      `HEALTHCHECK ${options.map((o) => `${o} `).join('')}CMD ${execForm(commandArgs(health.command))}`,
    );
  }

  if (mc.workdir !== undefined) {
    add(['workdir'], `WORKDIR ${quotedValue(mc.workdir, ['workdir'], 'a path')}`);
  }
  // Last of the filesystem changes: steps and COPY run as root, the application as `user`.
  if (mc.user !== undefined) {
    if (!OWNER.test(mc.user))
      throw new BuildPlanError(
        'user must be a user name or id, optionally with a group: 1000, 1000:1000, nobody.',
        ['user'],
      );
    add(['user'], `USER ${mc.user}`);
  }
  // ENTRYPOINT first: setting it resets an inherited CMD, ours comes after.
  if (mc.entrypoint !== undefined)
    add(['entrypoint'], `ENTRYPOINT ${execForm(commandArgs(mc.entrypoint))}`);
  if (mc.command !== undefined) add(['command'], `CMD ${execForm(commandArgs(mc.command))}`);

  for (const instruction of out) {
    // The guarantee itself: one instruction, one line, whatever the values were.
    if (/[\r\n]/.test(instruction.text))
      throw new BuildPlanError(
        `${displayOrigin(instruction.origin)} cannot be written on one Dockerfile line.`,
        instruction.origin,
      );
  }
  return { text: out.map((i) => i.text).join('\n') + '\n', instructions: out };
}

function checkName(name: string, origin: PathSegment[]): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new BuildPlanError(
      `${displayOrigin(origin)}: not a valid variable name (letters, digits and '_', not starting with a digit).`,
      origin,
    );
}
