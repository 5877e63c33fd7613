// What Build, Print ×N and Promote would do right now against the engine, as plain data
// (JSON-able: the CLI prints it, the preview panel renders it). Nothing here changes the
// engine: the wrapper only inspects the image and lists the copies, and the decisions are
// made by `planFromEngineState`, a pure function of that state (unit-tested without one).
//
// The rules are the ones the commands apply:
//  - build: NAME:VERSION absent → would build; present with the same digest → up to date
//    (a no-op); present with another digest (or none of ours) → refused, bump the version.
//  - print ×N: adds N copies of this version (indices continue after the highest), building
//    first if needed; refused whenever the build would be.
//  - promote: the new version gets `copies` copies (minus those it has already), then every
//    copy of every other version is disposed (blue/green).
import type { BuildFileSystem } from '../build/buildFileSystem';
import { planBuild, type BuildPlan } from '../build/plan';
import type { HttpProbe } from '../copies/health';
import { compareVersions, listCopies, type CopyRecord } from '../copies/ps';
import type { EngineClient } from '../engine/EngineClient';
import { isAbortError } from '../engine/errors';
import { LABEL_DIGEST } from '../engine/labels';
import type { MasterCopy } from '../mastercopy/model';

export type BuildState = 'up-to-date' | 'would-build' | 'refused' | 'engine-down';

export interface EngineStatus {
  reachable: boolean;
  /** Where the client connects, e.g. unix:///var/run/docker.sock. */
  host?: string;
  /** Why it is not reachable (a sentence a user can act on). */
  error?: string;
}

export interface BuildPart {
  /** NAME:VERSION. */
  tag: string;
  /** This master copy's io.mastercopy.digest. */
  digest: string;
  state: BuildState;
  /** The digest NAME:VERSION carries on the engine now (refused: why); absent when no such image. */
  existingDigest?: string;
  /** Refused because NAME:VERSION exists but was not built by Master Copy (no digest label). */
  foreignImage?: boolean;
  /** With `from`: the base image, and whether the engine has it (a build never pulls). */
  baseImage?: { ref: string; present: boolean };
}

export interface VersionCount {
  version: string;
  /** Copies of the version in any state. */
  count: number;
  /** Of them, running. */
  running: number;
  /** Of them, healthy (a copy without a health check counts when running). */
  healthy: number;
}

export interface PrintPart {
  /** How many copies a print adds: the master copy's `copies`, else 1. */
  copies: number;
  /** Copies of this master copy on the engine, by version (newest last). */
  running: VersionCount[];
  /** How many copies Print would add now (0 when it would be refused or the engine is down). */
  wouldAdd: number;
  /** Index of the first added copy (after the highest of this version). */
  firstIndex: number;
  /** Print would build the image first. */
  wouldBuild: boolean;
  /** Why Print would do nothing now. */
  blockedBy?: 'refused' | 'engine-down';
}

export type PromoteState =
  /** Other versions run: print the new one beside them, then dispose of them. */
  | 'would-promote'
  /** Only this version runs, with enough copies. */
  | 'up-to-date'
  /** Nothing runs yet: promote would be a first print. */
  | 'nothing-running'
  | 'refused'
  | 'engine-down';

export interface PromotePart {
  state: PromoteState;
  /** The versions running now, other than `to` (oldest first). */
  from: string[];
  /** This master copy's version. */
  to: string;
  /** How many copies the new version should have: the master copy's `copies`, else 1. */
  target: number;
  /** New copies of `to` a promote would print (target minus those running). */
  wouldPrint: number;
  /** Copies a promote would dispose of once the new ones are healthy. */
  wouldDispose: { version: string; count: number }[];
  /** The stable local endpoint that would move to the new version. */
  gateway?: { port: number; target: number };
}

export interface PreviewPlan {
  build: BuildPart;
  print: PrintPart;
  promote: PromotePart;
  engine: EngineStatus;
}

/** What the plan needs to know about the engine: plain data. */
export interface EngineState {
  /** NAME:VERSION's image, when the engine has one. */
  image?: { id: string; labels: Readonly<Record<string, string>> };
  /** With `from`: whether the base image is on the engine. */
  baseImagePresent?: boolean;
  /** This master copy's copies (every version). */
  copies: readonly CopyRecord[];
}

/** The plan from a build plan and the engine's state; `state` undefined means the engine is down. */
export function planFromEngineState(
  mc: MasterCopy,
  build: Pick<BuildPlan, 'tag' | 'digest' | 'baseImage'>,
  state: EngineState | undefined,
  engine: EngineStatus,
): PreviewPlan {
  const target = mc.copies ?? 1;
  const buildPart: BuildPart = { tag: build.tag, digest: build.digest, state: 'engine-down' };
  if (build.baseImage !== undefined && state?.baseImagePresent !== undefined)
    buildPart.baseImage = { ref: build.baseImage, present: state.baseImagePresent };

  if (!state) {
    return {
      build: buildPart,
      print: {
        copies: target,
        running: [],
        wouldAdd: 0,
        firstIndex: 0,
        wouldBuild: false,
        blockedBy: 'engine-down',
      },
      promote: {
        state: 'engine-down',
        from: [],
        to: mc.version,
        target,
        wouldPrint: 0,
        wouldDispose: [],
        ...(mc.gateway ? { gateway: { ...mc.gateway } } : {}),
      },
      engine,
    };
  }

  if (state.image) {
    const existing = state.image.labels[LABEL_DIGEST];
    buildPart.state = existing === build.digest ? 'up-to-date' : 'refused';
    if (existing !== undefined) buildPart.existingDigest = existing;
    else buildPart.foreignImage = true;
  } else buildPart.state = 'would-build';
  const refused = buildPart.state === 'refused';

  const copies = state.copies.filter((c) => c.name === mc.name);
  const byVersion = new Map<string, VersionCount>();
  for (const c of copies) {
    let v = byVersion.get(c.version);
    if (!v)
      byVersion.set(c.version, (v = { version: c.version, count: 0, running: 0, healthy: 0 }));
    v.count++;
    if (c.state === 'running') {
      v.running++;
      if (c.health === 'healthy' || c.health === 'none') v.healthy++;
    }
  }
  const versions = [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
  const highest = Math.max(
    -1,
    ...copies.filter((c) => c.version === mc.version).map((c) => c.index),
  );

  const print: PrintPart = {
    copies: target,
    running: versions,
    wouldAdd: refused ? 0 : target,
    firstIndex: highest + 1,
    wouldBuild: buildPart.state === 'would-build',
  };
  if (refused) print.blockedBy = 'refused';

  const others = versions.filter((v) => v.version !== mc.version);
  const mine = byVersion.get(mc.version);
  const wouldPrint = Math.max(0, target - (mine?.running ?? 0));
  let promoteState: PromoteState;
  if (refused) promoteState = 'refused';
  else if (others.length) promoteState = 'would-promote';
  else if (mine) promoteState = wouldPrint > 0 ? 'would-promote' : 'up-to-date';
  else promoteState = 'nothing-running';
  const promote: PromotePart = {
    state: promoteState,
    from: others.map((v) => v.version),
    to: mc.version,
    target,
    wouldPrint: refused ? 0 : wouldPrint,
    wouldDispose: refused ? [] : others.map((v) => ({ version: v.version, count: v.count })),
  };
  if (mc.gateway) promote.gateway = { ...mc.gateway };

  return { build: buildPart, print, promote, engine };
}

export interface ComputePlanOptions {
  fs: BuildFileSystem;
  signal?: AbortSignal;
  /** The build plan, when the caller has one already (planning reads every source). */
  buildPlan?: BuildPlan;
  /** Probes `health.http` copies for their health; without it they count as running only. */
  probe?: HttpProbe;
  /** Why there is no engine (when `engine` is undefined), e.g. a host that cannot be resolved. */
  noEngineReason?: string;
}

export interface ComputedPlan {
  plan: PreviewPlan;
  buildPlan: BuildPlan;
  /** This master copy's copies; undefined when the engine is down. */
  copies: CopyRecord[] | undefined;
}

/**
 * The plan of a validated master copy against `engine` (undefined: no engine configured).
 * An engine that cannot be asked gives an `engine-down` plan, never an error; a master copy
 * that cannot be planned throws BuildPlanError; an abort throws.
 */
export async function computePlan(
  engine: EngineClient | undefined,
  mc: MasterCopy,
  folder: string,
  options: ComputePlanOptions,
): Promise<ComputedPlan> {
  const { signal } = options;
  const buildPlan = options.buildPlan ?? (await planBuild(mc, folder, options.fs, signal));
  if (!engine) {
    const status: EngineStatus = {
      reachable: false,
      error: options.noEngineReason ?? 'No Docker engine is configured.',
    };
    return {
      plan: planFromEngineState(mc, buildPlan, undefined, status),
      buildPlan,
      copies: undefined,
    };
  }
  try {
    const [image, base, copies] = await Promise.all([
      engine.inspectImage(buildPlan.tag, signal),
      buildPlan.baseImage !== undefined
        ? engine.inspectImage(buildPlan.baseImage, signal)
        : undefined,
      listCopies(engine, { name: mc.name, signal, probe: options.probe }),
    ]);
    const state: EngineState = { image: image && { id: image.id, labels: image.labels }, copies };
    if (buildPlan.baseImage !== undefined) state.baseImagePresent = base !== undefined;
    return {
      plan: planFromEngineState(mc, buildPlan, state, {
        reachable: true,
        host: engine.endpoint.host,
      }),
      buildPlan,
      copies,
    };
  } catch (e) {
    if (isAbortError(e) || signal?.aborted) throw e;
    const status: EngineStatus = {
      reachable: false,
      host: engine.endpoint.host,
      error: e instanceof Error ? e.message : String(e),
    };
    return {
      plan: planFromEngineState(mc, buildPlan, undefined, status),
      buildPlan,
      copies: undefined,
    };
  }
}
