// Errors of printing, scaling and disposing copies, each with a message a user can act on.
// None of them ever carries a secret's value: only names and where a value was looked for.

/** One or more secrets could not be resolved; nothing was started. */
export class SecretError extends Error {
  override readonly name = 'SecretError';
  constructor(readonly problems: { secret: string; problem: string }[]) {
    super(
      `Cannot print: ${problems.length === 1 ? 'a secret is' : `${problems.length} secrets are`} missing, so no copy was started.\n` +
        problems.map((p) => `  - ${p.secret}: ${p.problem}`).join('\n'),
    );
  }
}

/** A fixed `hostPort` is in use on the engine's host (by a copy of another version, or anything else). */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
  constructor(
    readonly hostIp: string,
    readonly hostPort: number,
    readonly containerPort: number,
    readonly engineMessage: string,
  ) {
    super(
      `Port ${hostIp}:${hostPort} (hostPort of container port ${containerPort}) ` +
        `is already taken on the engine's host, so the copy could not start. ` +
        `Free it (another version's copies may hold it: \`mastercopy ps\`), ` +
        `or change or remove \`hostPort\` to get an ephemeral port. Engine: ${engineMessage}`,
    );
  }
}

/** The request cannot be done as asked (fixed hostPort with several copies, ambiguous dispose target, …). */
export class CopiesError extends Error {
  override readonly name = 'CopiesError';
}
