// Building a master copy's image, the immutable way: NAME:VERSION is built once. The same
// digest again is a no-op; a different digest is refused and the existing image left alone.
import type { EngineClient } from '../engine/EngineClient';
import { EngineBuildError, isAbortError } from '../engine/errors';
import type { MasterCopy } from '../mastercopy/model';
import type { PathSegment } from '../mastercopy/yamlSource';
import { nodeBuildFileSystem, type BuildFileSystem } from './buildFileSystem';
import { contextStream } from './context';
import { BuildPlanError, BuildRefusedError, BuildStepError } from './errors';
import { planBuild, type BuildPlan } from './plan';
import { LABEL_DIGEST } from '../engine/labels';
import { LABEL_BASE_IMAGE_ID } from './manifest';

export type BuildEvent =
  /** The engine starts step `step` of `total` (1-based), e.g. `RUN ["/bin/sh", "-c", "…"]`. */
  | {
      kind: 'step';
      step: number;
      total: number;
      instruction: string;
      origin: PathSegment[] | undefined;
    }
  /** A line of build output (a step's command output included). */
  | { kind: 'output'; text: string };

export interface BuildResult {
  /** `built`: a new image; `up-to-date`: NAME:VERSION existed with this very digest. */
  status: 'built' | 'up-to-date';
  tag: string;
  imageId: string;
  digest: string;
  /** The whole build output (empty when nothing was built). */
  log: string[];
  plan: BuildPlan;
}

export interface BuildMasterCopyOptions {
  onProgress?: (event: BuildEvent) => void;
  signal?: AbortSignal;
  /** How host files are read; the real file system by default. */
  files?: BuildFileSystem;
  /** More labels for the image (not part of the digest), e.g. a test run's. Ours win on a clash. */
  extraLabels?: Record<string, string>;
}

const STEP_LINE = /^Step (\d+)\/(\d+) : (.*)$/;
// Build output carries terminal colours (a command's stderr comes in red).
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * Builds the image of a validated master copy whose folder is `folder`.
 * Throws BuildRefusedError (the version exists with other content), BuildStepError (a step
 * failed: its `path` is the master copy part, e.g. ['build', 'steps', 2]), BuildPlanError,
 * the engine's errors (EngineUnreachableError, …), or an AbortError when `signal` aborts.
 */
export async function buildMasterCopy(
  engine: EngineClient,
  mc: MasterCopy,
  folder: string,
  options: BuildMasterCopyOptions = {},
): Promise<BuildResult> {
  const { onProgress, signal } = options;
  const files = options.files ?? nodeBuildFileSystem;
  const plan = await planBuild(mc, folder, files, signal);

  const existing = await engine.inspectImage(plan.tag, signal);
  if (existing) {
    const existingDigest = existing.labels[LABEL_DIGEST];
    if (existingDigest === plan.digest)
      return {
        status: 'up-to-date',
        tag: plan.tag,
        imageId: existing.id,
        digest: plan.digest,
        log: [],
        plan,
      };
    throw new BuildRefusedError(plan.tag, existingDigest, plan.digest, existing.id);
  }
  const base =
    plan.baseImage !== undefined ? await engine.inspectImage(plan.baseImage, signal) : undefined;
  if (plan.baseImage !== undefined && !base) {
    // The engine client never pulls; without this the engine would try a registry and fail slowly.
    throw new BuildPlanError(
      `The base image ${plan.baseImage} is not on this engine, and Master Copy never pulls while building: ` +
        `pull it first (docker pull ${plan.baseImage}) or build it locally.`,
      ['from'],
    );
  }
  signal?.throwIfAborted();

  const context = contextStream(plan, files, signal);
  let contextError: unknown;
  // A failing body stream does not end the request by itself: abort it.
  const stop = new AbortController();
  context.on('error', (e) => {
    contextError ??= e;
    stop.abort(e);
  });
  const buildSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const log: string[] = [];
  let current: { step: number; instruction: string } | undefined;
  const onOutput = (raw: string) => {
    const text = raw.replace(ANSI, '');
    if (!text.trim()) return; // what was left of a colour switch
    log.push(text);
    const m = STEP_LINE.exec(text);
    if (m) {
      current = { step: Number(m[1]), instruction: m[3] };
      onProgress?.({
        kind: 'step',
        step: current.step,
        total: Number(m[2]),
        instruction: m[3],
        origin: stepOrigin(plan, current.step),
      });
    }
    onProgress?.({ kind: 'output', text });
  };

  try {
    const { imageId } = await engine.buildImage(
      context,
      {
        tag: plan.tag,
        // The base image's id too: `mastercopy diff` tells from it when the tag has moved since.
        labels: {
          ...options.extraLabels,
          ...plan.labels,
          ...(base ? { [LABEL_BASE_IMAGE_ID]: base.id } : {}),
        },
        buildArgs: plan.buildArgs,
        dockerfile: plan.dockerfilePath,
      },
      (p) => {
        if (p.kind === 'output') onOutput(p.text);
      },
      buildSignal,
    );
    return { status: 'built', tag: plan.tag, imageId, digest: plan.digest, log, plan };
  } catch (e) {
    // A source that changed or vanished mid-build breaks the upload: say that, not "connection reset".
    if (contextError && !signal?.aborted) throw contextError;
    if (signal?.aborted) throw signal.reason ?? e;
    if (isAbortError(e)) throw e;
    if (e instanceof EngineBuildError) {
      const message = e.engineMessage.replace(ANSI, '').trim();
      throw new BuildStepError(
        plan.tag,
        current
          ? stepOrigin(plan, current.step)
          : plan.dockerfileText === undefined
            ? ['dockerfile']
            : undefined,
        current?.step,
        current?.instruction,
        message,
        log,
      );
    }
    throw e;
  } finally {
    context.destroy();
  }
}

/** The master copy part behind engine step `step` (1-based). */
export function stepOrigin(plan: BuildPlan, step: number): PathSegment[] | undefined {
  if (plan.dockerfileText === undefined) return ['dockerfile'];
  const instruction = plan.instructions[step - 1];
  if (instruction) return instruction.origin;
  // The classic builder appends the build API's labels as LABEL steps, one per label.
  return step > plan.instructions.length ? ['labels'] : undefined;
}
