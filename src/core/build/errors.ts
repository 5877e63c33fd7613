// Errors of a build, each pointing (where it can) at the part of the master copy it is
// about, as a path like ['build', 'steps', 2], so an editor can show its exact range.
import type { PathSegment } from '../mastercopy/yamlSource';

export abstract class BuildError extends Error {
  /** Where in the master copy the problem is; undefined when it is about the whole file. */
  abstract readonly path: PathSegment[] | undefined;
}

/** The master copy cannot be turned into a build (a value a Dockerfile cannot hold, a source that vanished, …). */
export class BuildPlanError extends BuildError {
  override readonly name = 'BuildPlanError';
  constructor(
    message: string,
    readonly path: PathSegment[] | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** NAME:VERSION exists already and was built from something else: a version is immutable. */
export class BuildRefusedError extends BuildError {
  override readonly name = 'BuildRefusedError';
  readonly path: PathSegment[] = ['version'];
  constructor(
    readonly tag: string,
    /** The existing image's io.mastercopy.digest; undefined when it was not built by Master Copy. */
    readonly existingDigest: string | undefined,
    readonly digest: string,
    readonly existingImageId: string,
  ) {
    super(
      existingDigest
        ? `${tag} already exists with a different content (digest ${existingDigest}, this master copy is ${digest}); ` +
            `a version is immutable — bump \`version\`.`
        : `${tag} already exists and was not built by Master Copy (it has no io.mastercopy.digest label); ` +
            `it is left alone — bump \`version\` or choose another \`name\`.`,
    );
  }
}

/** A step of the build failed in the engine. */
/** Said when the engine's disk filled up: the cause and what to do, beside the engine's words. */
const DISK_FULL_HINT =
  ". The engine's disk is full: free space where the engine keeps its data (docker system prune removes " +
  'what nothing uses), then build again; nothing of this build was tagged.';

/** The engine (or a step's command) said there is no space left. */
function diskFull(engineMessage: string, output: readonly string[]): boolean {
  const full = /no space left on device|disk quota exceeded/i;
  return full.test(engineMessage) || output.slice(-20).some((l) => full.test(l));
}

export class BuildStepError extends BuildError {
  override readonly name = 'BuildStepError';
  constructor(
    readonly tag: string,
    /** The master copy part the failing instruction came from. */
    readonly path: PathSegment[] | undefined,
    /** 1-based step number, as the engine counts them; undefined when the failure came before any step. */
    readonly step: number | undefined,
    readonly instruction: string | undefined,
    readonly engineMessage: string,
    /** The whole build output up to the failure. */
    readonly output: string[],
  ) {
    super(
      `Building ${tag} failed${step !== undefined ? ` at step ${step}${instruction ? ` (${instruction})` : ''}` : ''}: ${engineMessage}` +
        (diskFull(engineMessage, output) ? DISK_FULL_HINT : ''),
    );
  }

  /** The last lines of the build output, for a message. */
  tail(lines = 15): string[] {
    return this.output.slice(-lines);
  }
}
