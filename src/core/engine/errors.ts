// Errors from the engine layer, each with a message a user can act on.

/** Network-level failures that mean "no engine there" rather than "the engine said no". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EPERM',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOTSOCK',
]);

export class EngineUnreachableError extends Error {
  override readonly name = 'EngineUnreachableError';
  constructor(
    readonly host: string,
    /** Short reason, e.g. "connect ENOENT". */
    readonly reason: string,
    /** `hint`: how to use another engine where the message is shown (see HostChoice); default "set DOCKER_HOST". */
    options?: { cause?: unknown; hint?: string },
  ) {
    super(unreachableMessage(host, reason, options?.hint ?? 'set DOCKER_HOST'), options);
  }
}

function unreachableMessage(host: string, reason: string, hint: string): string {
  const todo =
    reason.includes('EACCES') || reason.includes('EPERM')
      ? `is your user allowed to use it (the docker group)? Or ${hint} to use another.`
      : `is it running? Start it, or ${hint} to use another.`;
  return `Docker engine not reachable at ${host} (${reason}) — ${todo}`;
}

/** A remove or a log tail was asked for an object that does not carry our labels. */
export class NotManagedError extends Error {
  override readonly name = 'NotManagedError';
  constructor(
    readonly kind: 'container' | 'network' | 'volume' | 'service' | 'secret' | 'image',
    readonly ref: string,
  ) {
    super(
      `Refusing to touch ${kind} ${ref}: it was not created by Master Copy ` +
        `(no io.mastercopy.managed label, or other labels than expected).`,
    );
  }
}

/** The engine answered with an error status. */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    readonly engineMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`Docker engine refused to ${operation}: ${engineMessage}`, options);
  }
}

/** A build step failed; `output` is the build's log up to the failure. */
export class EngineBuildError extends Error {
  override readonly name = 'EngineBuildError';
  constructor(
    readonly tag: string,
    readonly engineMessage: string,
    readonly output: string[],
  ) {
    super(`Building ${tag} failed: ${engineMessage}`);
  }
}

/** Is this a low-level connection failure? Gives the short reason ("connect ENOENT") or undefined. */
export function unreachableReason(err: unknown): string | undefined {
  const e = err as { code?: unknown; syscall?: unknown; level?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) {
    return typeof e.syscall === 'string' ? `${e.syscall} ${e.code}` : e.code;
  }
  // ssh2 reports connection and authentication failures with a `level`.
  if (
    e.level === 'client-socket' ||
    e.level === 'client-authentication' ||
    e.level === 'client-timeout'
  ) {
    return `ssh: ${String(e.message)}`;
  }
  return undefined;
}

export function isAbortError(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'AbortError';
}
