// Everything the preview shows, as plain data: the summary card, the Dockerfile with its
// tokens, the build context, the plan, the copies and the problems. Two steps:
//   loadPreviewState(text, path, deps)   async: validate, plan the build, ask the engine
//   previewModel(text, path, state, previous?)   pure: the model the renderers take
// When the text has errors (or cannot be planned) the model keeps what `previous` showed
// — the last valid state — marked `stale`, beside the current problems, so a half-typed
// edit does not blank the panel.
import { basename, dirname } from 'node:path';
import type { BuildFileSystem } from '../build/buildFileSystem';
import { displayOrigin } from '../build/dockerfile';
import { BuildPlanError } from '../build/errors';
import { planBuild, type BuildPlan } from '../build/plan';
import { ReadBoundError } from '../build/buildFileSystem';
import type { HttpProbe } from '../copies/health';
import type { CopyRecord } from '../copies/ps';
import { driftLines, type CopyDrift } from '../drift/drift';
import type { EngineClient } from '../engine/EngineClient';
import {
  activeVersion,
  isStale,
  lockHolder,
  readLedger,
  type LedgerRecord,
  type LockDeps,
  type LockHolder,
} from '../deploy/ledger';
import { historyEntries, type HistoryEntry } from '../deploy/overview';
import { readDesired, type DesiredCount } from '../deploy/desired';
import { activeText, promoteDiff, type DiffChange, type PromoteDiff } from '../deploy/promoteDiff';
import { autoscaleText } from '../keeper/autoscaler';
import { findKeeper, LABEL_GATEWAY } from '../keeper/keeperContainer';
import type { Severity } from '../mastercopy/diagnostic';
import type { FileAccess } from '../mastercopy/fileAccess';
import { normalizePort, type Command, type MasterCopy } from '../mastercopy/model';
import { LineIndex } from '../mastercopy/positions';
import { valueRange } from '../mastercopy/schemaValidation';
import { validateText, type ValidationResult } from '../mastercopy/validator';
import { computePlan, type EngineStatus, type PreviewPlan } from './plan';

/** What loadPreviewState found; the input of previewModel. */
export interface PreviewState {
  validation: ValidationResult;
  /** The build plan of a valid master copy. */
  buildPlan?: BuildPlan;
  /** Why a valid master copy cannot be built (a source that vanished, a value a Dockerfile cannot hold). */
  buildError?: BuildPlanError;
  /** With `dockerfile:`, that file's text (the generated one is in `buildPlan`). */
  userDockerfile?: string;
  plan?: PreviewPlan;
  /** This master copy's copies; undefined when the engine was not asked or is down. */
  copies?: CopyRecord[];
  /** Their drift, as last checked (the editor's copies model checks it on the engine's events). */
  drift?: readonly CopyDrift[];
  engine: EngineStatus;
  /** This master copy's deployments on the engine; undefined when the engine was not asked or is down. */
  deploy?: PreviewDeployState;
}

/** What the engine knows of a master copy's deployments (no keeper is asked anything). */
export interface PreviewDeployState {
  /** Oldest first. */
  ledger: LedgerRecord[];
  /** Who deploys now (a lock whose holder is gone does not count). */
  lock?: LockHolder;
  /** Its keeper container, when there is one: whether it runs, and where it listens. */
  keeper?: { running: boolean; address?: string; port?: number };
  /** The newest desired count of each version (the keeper keeps the active one's; an autoscaling decision says why). */
  desired?: Map<string, DesiredCount>;
  /** What a promote of this master copy would change (hashes only: no file is read from an image). */
  diff?: PromoteDiff;
}

export interface LoadPreviewDeps {
  /** Undefined: no engine (the plan says engine-down). */
  engine?: EngineClient;
  /** How the build plan reads sources. */
  fs: BuildFileSystem;
  /** How validation checks paths; undefined skips those checks. */
  files?: FileAccess;
  /** A validation the caller has already (the editor's incremental one); else validateText. */
  validation?: ValidationResult;
  probe?: HttpProbe;
  /** Why there is no engine (when `engine` is undefined). */
  noEngineReason?: string;
  /** Tells a stale deploy lock (its holder is gone), which does not stop a promote; without it every lock does. */
  lockDeps?: LockDeps;
  signal?: AbortSignal;
}

/** A user's Dockerfile is shown up to this size. */
const MAX_DOCKERFILE_BYTES = 256 * 1024;

/** Validates `text` (the master copy at `path` on the host), plans its build and asks the engine. */
export async function loadPreviewState(
  text: string,
  path: string,
  deps: LoadPreviewDeps,
): Promise<PreviewState> {
  const validation = deps.validation ?? validateText(text, { path }, deps.files);
  const mc = validation.masterCopy;
  if (!mc)
    return {
      validation,
      engine: {
        reachable: false,
        host: deps.engine?.endpoint.host,
        error: 'Not asked: the master copy has errors.',
      },
    };
  let buildPlan: BuildPlan;
  try {
    buildPlan = await planBuild(mc, dirname(path), deps.fs, deps.signal);
  } catch (e) {
    // A bounded read (an untrusted workspace) that reached its bound is said like a plan's problem.
    if (e instanceof ReadBoundError) e = new BuildPlanError(e.message, undefined, { cause: e });
    if (e instanceof BuildPlanError)
      return {
        validation,
        buildError: e,
        engine: {
          reachable: false,
          host: deps.engine?.endpoint.host,
          error: 'Not asked: the master copy cannot be built.',
        },
      };
    throw e;
  }
  const state: PreviewState = { validation, buildPlan, engine: { reachable: false } };
  if (buildPlan.dockerfileText === undefined)
    state.userDockerfile = await readUserDockerfile(buildPlan, deps.fs, deps.signal);
  const computed = await computePlan(deps.engine, mc, dirname(path), {
    fs: deps.fs,
    signal: deps.signal,
    buildPlan,
    probe: deps.probe,
    noEngineReason: deps.noEngineReason,
  });
  state.plan = computed.plan;
  state.copies = computed.copies;
  state.engine = computed.plan.engine;
  if (deps.engine && state.engine.reachable)
    state.deploy = await loadDeployState(deps.engine, mc.name, deps.lockDeps, deps.signal);
  if (deps.engine && state.deploy)
    state.deploy.diff = await loadPromoteDiff(deps.engine, mc, path, buildPlan, state.deploy, deps);
  return state;
}

/**
 * What a promote would change, for the Promote section. No old content is read for diffs: that
 * creates a container, whose events would refresh the editor, on every edit.
 */
async function loadPromoteDiff(
  engine: EngineClient,
  mc: MasterCopy,
  path: string,
  plan: BuildPlan,
  deploy: PreviewDeployState,
  deps: LoadPreviewDeps,
): Promise<PromoteDiff | undefined> {
  try {
    return await promoteDiff(engine, mc, dirname(path), {
      plan,
      ledger: deploy.ledger,
      fs: deps.fs,
      signal: deps.signal,
      readContents: false,
    });
  } catch (e) {
    if (deps.signal?.aborted) throw e;
    return undefined;
  }
}

/** The ledger, the lock and the keeper of `name`; undefined when the engine stops answering meanwhile. */
async function loadDeployState(
  engine: EngineClient,
  name: string,
  lockDeps: LockDeps | undefined,
  signal?: AbortSignal,
): Promise<PreviewDeployState | undefined> {
  try {
    const [ledger, lock, keeper, desired] = await Promise.all([
      readLedger(engine, name, signal),
      lockHolder(engine, name, signal),
      findKeeper(engine, name, signal),
      readDesired(engine, name, signal),
    ]);
    const out: PreviewDeployState = { ledger, desired };
    if (lock && !(lockDeps && isStale(lock, lockDeps))) out.lock = lock;
    if (keeper) {
      const port = Number(keeper.labels[LABEL_GATEWAY]?.split(' ')[0]);
      const address = keeper.ports.find((p) => p.containerPort === port)?.hostIp;
      out.keeper = {
        running: keeper.status === 'running',
        ...(Number.isFinite(port) ? { port } : {}),
        ...(address ? { address } : {}),
      };
    }
    return out;
  } catch (e) {
    if (signal?.aborted) throw e;
    return undefined;
  }
}

async function readUserDockerfile(
  plan: BuildPlan,
  fs: BuildFileSystem,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const entry = plan.context.find((e) => e.path === plan.dockerfilePath && e.type === 'file');
  if (!entry?.hostPath) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of fs.read(entry.hostPath, signal)) {
    chunks.push(Buffer.from(chunk));
    size += chunk.length;
    if (size > MAX_DOCKERFILE_BYTES)
      return `# (${plan.dockerfilePath} is larger than ${MAX_DOCKERFILE_BYTES / 1024} KiB; open the file to read it.)\n`;
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------------------- the model

export interface PreviewRange {
  /** Offsets into the master copy's text (what the webview sends back in a `reveal`). */
  start: number;
  end: number;
  /** 0-based. */
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
}

export interface PreviewProblem extends PreviewRange {
  severity: Severity;
  message: string;
  code: string;
}

export interface SummaryCard {
  name: string;
  version: string;
  description?: string;
  owners: string[];
  /** `from: IMAGE` or `dockerfile: PATH`. */
  base: { kind: 'image'; ref: string } | { kind: 'dockerfile'; path: string };
  /** "8080/tcp", "5353/udp → host 5353". */
  ports: string[];
  health: { kind: 'http' | 'command' | 'none'; text: string; timing?: string };
  copies: number;
  user?: string;
  workdir?: string;
  /** As it runs: "/bin/httpd -f -p 8080" (a list is shown joined), or the shell command. */
  command?: string;
  hardening: {
    readOnly: boolean;
    tmpfs: string[];
    capDrop: string[];
    capAdd: string[];
    noNewPrivileges: boolean;
    memory?: string;
    cpus?: number;
    restart: string;
  };
  volumes: { name: string; path: string; readOnly: boolean }[];
  /** Names and where they come from, never values. */
  secrets: { name: string; from: 'env' | 'file' }[];
  gateway?: { port: number; target: number };
  /** The autoscaling policy in words ("1–5 copies on 10 open connections per copy (cooldown 30s)"). */
  autoscale?: string;
}

export type DockerfileTokenKind =
  'instruction' | 'string' | 'comment' | 'flag' | 'variable' | 'text';

export interface DockerfileToken {
  kind: DockerfileTokenKind;
  text: string;
}

export interface DockerfileLine {
  tokens: DockerfileToken[];
  /** The master copy part the line comes from (generated Dockerfile), e.g. `files[1]`. */
  origin?: string;
  /** Where that part is, for a click (absent when stale). */
  range?: PreviewRange;
}

export interface PreviewDockerfile {
  /** `generated` from `from`, or the user's file named by `dockerfile:`. */
  source: 'generated' | 'user';
  /** Its path inside the build context. */
  path: string;
  text: string;
  lines: DockerfileLine[];
}

export interface PreviewContextEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Bytes (files). */
  size: number;
  /** "0644". */
  mode: string;
  /** What brought it in: `files[1]`, `dockerfile`, or `generated`. */
  origin: string;
  linkTarget?: string;
}

export interface PreviewCopy {
  version: string;
  index: number;
  id: string;
  shortId: string;
  state: CopyRecord['state'];
  health: CopyRecord['health'];
  /** "127.0.0.1:32768→8080/tcp". */
  ports: string[];
  /** Of this master copy's version. */
  current: boolean;
  /** The image NAME:VERSION still carries the copy's digest. */
  digestMatches: boolean;
  /** Whether it still matches its version, when drift was checked: a badge, the differences in its tooltip. */
  drift?: { drifted: boolean; details: string[] };
}

export interface PreviewAction {
  enabled: boolean;
  /** Why not, or what it would do (a tooltip). */
  title: string;
}

/** What a promote of this master copy would do now, from the ledger and the copies on the engine. */
export interface PromoteView {
  /**
   * would-promote: another version serves and this one replaces it; first: nothing was
   * promoted yet, this becomes the active version; already-active: this version serves;
   * refused: it cannot be built; locked: a deploy runs now.
   */
  state: 'would-promote' | 'first' | 'already-active' | 'refused' | 'locked';
  /** The version that serves now. */
  from?: string;
  to: string;
  /** Green copies it would print (as many as the serving version has, else `copies`). */
  copies: number;
  /** Copies of other versions disposed of after the switch. */
  wouldDispose: { version: string; count: number }[];
  /** The endpoint that moves to `to`; absent without `gateway`. */
  endpoint?: { url: string; running: boolean };
  /** Who deploys now (locked). */
  lock?: { by: string; action: string; version: string; since: string };
  /** How many copies of the serving version its keeper keeps, and who set that count last (an autoscaling decision with its reason). */
  kept?: { version: string; count: number; by: string; reason?: string; at: string };
  /** What it would change against the active version, field by field (`mastercopy diff`); absent with nothing active. */
  changes?: {
    /** "promoted by ann@box at 2026-12-01 10:00:00Z, from commit abc123def456". */
    active: string;
    items: Omit<DiffChange, 'diff'>[];
    /** What could not be compared, and why. */
    notes: string[];
  };
}

export interface PreviewModel {
  file: { path: string; name: string };
  /** The current text has no errors and could be planned. */
  valid: boolean;
  /** Summary, Dockerfile, context, plan and copies are the last valid state's, not the current text's. */
  stale: boolean;
  summary?: SummaryCard;
  dockerfile?: PreviewDockerfile;
  context?: { entries: PreviewContextEntry[]; files: number; bytes: number };
  plan?: PreviewPlan;
  /** Undefined when the engine was not asked or is down. */
  copies?: PreviewCopy[];
  engine: EngineStatus;
  problems: PreviewProblem[];
  /** What a promote would do now; undefined when the engine was not asked or is down. */
  promote?: PromoteView;
  /** The ledger, newest first; undefined when the engine was not asked or is down. */
  history?: HistoryEntry[];
  actions: {
    build: PreviewAction;
    print: PreviewAction;
    tailLogs: PreviewAction;
    /** A Promote button appears when present. */
    promote?: PreviewAction;
  };
}

/**
 * The model of the preview of `text` (the master copy at `path`). With an invalid `state`,
 * what `previous` showed is kept (stale), and only the problems are the current ones.
 */
export function previewModel(
  text: string,
  path: string,
  state: PreviewState,
  previous?: PreviewModel,
): PreviewModel {
  const lines = new LineIndex(text);
  const range = (r: { start: number; end: number }): PreviewRange => {
    const s = lines.positionAt(r.start);
    const e = lines.positionAt(r.end);
    return {
      start: r.start,
      end: r.end,
      line: s.line,
      character: s.character,
      endLine: e.line,
      endCharacter: e.character,
    };
  };
  const problems: PreviewProblem[] = state.validation.diagnostics.map((d) => ({
    severity: d.severity,
    message: d.message,
    code: d.code,
    ...range(d.range),
  }));
  if (state.buildError) {
    problems.push({
      severity: 'error',
      message: state.buildError.message,
      code: 'build-plan',
      ...range(valueRange(state.validation.parsed, state.buildError.path ?? [])),
    });
  }
  const file = { path, name: basename(path) };
  const mc = state.validation.masterCopy;

  if (!mc || !state.buildPlan) {
    const kept: PreviewModel | undefined =
      previous && (previous.summary || previous.dockerfile) ? previous : undefined;
    const summary = mc ? summaryCard(mc) : kept?.summary;
    const reason = mc
      ? 'The master copy cannot be built: see the problems.'
      : 'The master copy has errors: fix them first.';
    const off = { enabled: false, title: reason };
    return compact({
      file,
      valid: false,
      stale: kept !== undefined,
      summary,
      dockerfile: kept?.dockerfile && {
        ...kept.dockerfile,
        lines: kept.dockerfile.lines.map(({ tokens, origin }) => ({ tokens, origin })),
      },
      context: kept?.context,
      plan: kept?.plan,
      copies: kept?.copies,
      engine: kept?.engine ?? state.engine,
      problems,
      promote: kept?.promote,
      history: kept?.history,
      actions: {
        build: off,
        print: off,
        tailLogs: tailLogsAction(kept?.copies, kept?.engine ?? state.engine),
        ...(kept?.promote ? { promote: off } : {}),
      },
    });
  }

  const plan = state.buildPlan;
  const dockerfileText = plan.dockerfileText ?? state.userDockerfile;
  let dockerfile: PreviewDockerfile | undefined;
  if (dockerfileText !== undefined) {
    const textLines = dockerfileText
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''));
    dockerfile = {
      source: plan.dockerfileText !== undefined ? 'generated' : 'user',
      path: plan.dockerfilePath,
      text: dockerfileText,
      lines: textLines.map((l, i) => {
        const line: DockerfileLine = { tokens: tokenizeDockerfileLine(l) };
        const instruction = plan.dockerfileText !== undefined ? plan.instructions[i] : undefined;
        if (instruction && instruction.origin.length) {
          line.origin = displayOrigin(instruction.origin);
          line.range = range(valueRange(state.validation.parsed, instruction.origin));
        }
        return line;
      }),
    };
  }
  const entries: PreviewContextEntry[] = plan.context.map((e) => {
    const entry: PreviewContextEntry = {
      path: e.path,
      type: e.type,
      size: e.type === 'file' ? e.size : 0,
      mode: e.mode.toString(8).padStart(4, '0'),
      origin: e.generated ? 'generated' : displayOrigin(e.origin),
    };
    if (e.linkTarget !== undefined) entry.linkTarget = e.linkTarget;
    return entry;
  });
  const copies = state.copies?.map((c) =>
    previewCopy(
      c,
      mc.version,
      state.drift?.find((d) => d.id === c.id),
    ),
  );
  const p = state.plan;
  const promoteView = p && state.deploy ? promoteViewOf(mc, p, state.deploy) : undefined;
  const engineDown = !state.engine.reachable;
  const refused = p?.build.state === 'refused';
  const build: PreviewAction = engineDown
    ? { enabled: false, title: 'The Docker engine is not reachable.' }
    : refused
      ? { enabled: false, title: `${plan.tag} exists with other content: bump the version.` }
      : p?.build.state === 'up-to-date'
        ? { enabled: true, title: `${plan.tag} is up to date: building is a no-op.` }
        : { enabled: true, title: `Build ${plan.tag}.` };
  const print: PreviewAction = engineDown
    ? { enabled: false, title: 'The Docker engine is not reachable.' }
    : refused
      ? { enabled: false, title: `${plan.tag} exists with other content: bump the version.` }
      : {
          enabled: true,
          title:
            `Print ${p?.print.copies ?? mc.copies ?? 1} ` +
            `${plural(p?.print.copies ?? mc.copies ?? 1, 'copy', 'copies')} of ${plan.tag}.`,
        };

  return compact({
    file,
    valid: true,
    stale: false,
    summary: summaryCard(mc),
    dockerfile,
    context: {
      entries,
      files: entries.filter((e) => e.type === 'file').length,
      bytes: entries.reduce((n, e) => n + e.size, 0),
    },
    plan: p,
    copies,
    engine: state.engine,
    problems,
    promote: promoteView,
    history: state.deploy && historyEntries(state.deploy.ledger),
    actions: {
      build,
      print,
      tailLogs: tailLogsAction(copies, state.engine),
      ...(promoteView ? { promote: promoteAction(promoteView, plan.tag) } : {}),
    },
  });
}

/** What a promote would do, as `promote()` decides it (core/deploy/promote.ts). */
export function promoteViewOf(
  mc: MasterCopy,
  plan: PreviewPlan,
  deploy: PreviewDeployState,
): PromoteView {
  const active = activeVersion(deploy.ledger);
  const counts = new Map(plan.print.running.map((v) => [v.version, v.count]));
  const wanted = (active && counts.get(active.version)) || mc.copies || 1;
  // Within the bounds, as promote() keeps green.
  const copies =
    mc.autoscale && mc.gateway
      ? Math.min(mc.autoscale.max, Math.max(mc.autoscale.min, wanted))
      : wanted;
  const view: PromoteView = {
    state: 'would-promote',
    to: mc.version,
    copies,
    wouldDispose: plan.print.running
      .filter((v) => v.version !== mc.version)
      .map((v) => ({ version: v.version, count: v.count })),
  };
  if (active) view.from = active.version;
  const kept = active && deploy.keeper?.running ? deploy.desired?.get(active.version) : undefined;
  if (kept)
    view.kept = {
      version: kept.version,
      count: kept.count,
      by: kept.by,
      at: kept.at,
      ...(kept.reason ? { reason: kept.reason } : {}),
    };
  if (mc.gateway) {
    const address =
      deploy.keeper?.address && deploy.keeper.address !== '0.0.0.0'
        ? deploy.keeper.address
        : '127.0.0.1';
    view.endpoint = {
      url: `http://${address}:${mc.gateway.port}/`,
      running: deploy.keeper?.running === true,
    };
  }
  const d = deploy.diff;
  if (d?.active && d.active.version === active?.version)
    view.changes = {
      active: activeText(d.active),
      items: d.changes.map(({ diff: _diff, ...item }) => item),
      notes: d.notes,
    };
  if (plan.build.state === 'refused') view.state = 'refused';
  else if (deploy.lock) {
    view.state = 'locked';
    view.lock = {
      by: `${deploy.lock.user}@${deploy.lock.host}`,
      action: deploy.lock.action,
      version: deploy.lock.version,
      since: deploy.lock.since,
    };
  } else if (active?.version === mc.version && (counts.get(mc.version) ?? 0) > 0)
    view.state = 'already-active';
  else if (!active) view.state = 'first';
  return view;
}

function promoteAction(v: PromoteView, tag: string): PreviewAction {
  switch (v.state) {
    case 'refused':
      return { enabled: false, title: `${tag} exists with other content: bump the version.` };
    case 'locked':
      return {
        enabled: false,
        title: `A ${v.lock?.action} to ${v.lock?.version} by ${v.lock?.by} runs now.`,
      };
    case 'already-active':
      return v.wouldDispose.length
        ? {
            enabled: true,
            title:
              `${v.to} already serves: promoting again disposes of the copies of ` +
              `${v.wouldDispose.map((d) => d.version).join(', ')} left behind.`,
          }
        : { enabled: false, title: `${v.to} is the active version: nothing to promote.` };
    default:
      return {
        enabled: true,
        title:
          `Blue/green: print ${v.copies} ${plural(v.copies, 'copy', 'copies')} of ${v.to}${v.from ? ` beside ${v.from}` : ''}, ` +
          `switch ${v.endpoint ? 'the endpoint' : 'to them'} once healthy, dispose of the old.`,
      };
  }
}

/** Without the members that are undefined, so that the model is the same after a JSON round trip. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function tailLogsAction(copies: PreviewCopy[] | undefined, engine: EngineStatus): PreviewAction {
  if (!engine.reachable) return { enabled: false, title: 'The Docker engine is not reachable.' };
  const n = copies?.filter((c) => c.state === 'running').length ?? 0;
  return n
    ? {
        enabled: true,
        title: `Follow the logs of ${n} running ${plural(n, 'copy', 'copies')}, merged.`,
      }
    : { enabled: false, title: 'No copy is running.' };
}

function previewCopy(c: CopyRecord, version: string, drift?: CopyDrift): PreviewCopy {
  const out: PreviewCopy = {
    version: c.version,
    index: c.index,
    id: c.id,
    shortId: c.shortId,
    state: c.state,
    health: c.health,
    ports: c.ports.map((p) =>
      p.host !== null
        ? `${p.hostIp ?? '0.0.0.0'}:${p.host}→${p.container}/${p.protocol}`
        : `${p.container}/${p.protocol}`,
    ),
    current: c.version === version,
    digestMatches: c.digestMatches,
  };
  if (drift?.state === 'drifted')
    out.drift = { drifted: true, details: driftLines(drift).map((l) => l.replace(/^[^:]*: /, '')) };
  else if (drift?.state === 'clean') out.drift = { drifted: false, details: [] };
  return out;
}

/** The summary card of a valid master copy: only names and settings, never a secret's value. */
export function summaryCard(mc: MasterCopy): SummaryCard {
  const runtime = mc.runtime ?? {};
  const card: SummaryCard = {
    name: mc.name,
    version: mc.version,
    owners: [...(mc.owners ?? [])],
    base:
      mc.dockerfile !== undefined
        ? { kind: 'dockerfile', path: mc.dockerfile }
        : { kind: 'image', ref: mc.from ?? '' },
    ports: (mc.ports ?? []).map((entry) => {
      const p = normalizePort(entry);
      return `${p.port}/${p.protocol}${p.hostPort !== undefined ? ` → host ${p.hostPort}` : ''}`;
    }),
    health: healthSummary(mc),
    copies: mc.copies ?? 1,
    // The same defaults as the copies get (copies/spec.ts): immutable and hardened.
    hardening: {
      readOnly: runtime.readOnly ?? true,
      tmpfs: [...(runtime.tmpfs ?? ['/tmp'])],
      capDrop: [...(runtime.capabilities?.drop ?? ['ALL'])],
      capAdd: [...(runtime.capabilities?.add ?? [])],
      noNewPrivileges: runtime.noNewPrivileges ?? true,
      restart: runtime.restart ?? 'no',
    },
    volumes: (mc.volumes ?? []).map((v) => ({
      name: v.name,
      path: v.path,
      readOnly: v.readOnly ?? false,
    })),
    secrets: (mc.secrets ?? []).map((s) => ({
      name: s.name,
      from: s.fromFile !== undefined ? 'file' : 'env',
    })),
  };
  if (mc.description !== undefined) card.description = mc.description;
  if (mc.user !== undefined) card.user = mc.user;
  if (mc.workdir !== undefined) card.workdir = mc.workdir;
  const command = [mc.entrypoint, mc.command]
    .filter((c): c is Command => c !== undefined)
    .map(commandText)
    .join(' ');
  if (command) card.command = command;
  if (runtime.memory !== undefined) card.hardening.memory = runtime.memory;
  if (runtime.cpus !== undefined) card.hardening.cpus = runtime.cpus;
  if (mc.gateway) card.gateway = { ...mc.gateway };
  if (mc.autoscale) card.autoscale = autoscaleText(mc.autoscale);
  return card;
}

function healthSummary(mc: MasterCopy): SummaryCard['health'] {
  const h = mc.health;
  if (!h || (!h.http && h.command === undefined)) return { kind: 'none', text: 'no health check' };
  const timing = [
    h.interval && `every ${h.interval}`,
    h.timeout && `timeout ${h.timeout}`,
    h.retries !== undefined && `${h.retries} ${plural(h.retries, 'retry', 'retries')}`,
    h.startPeriod && `start period ${h.startPeriod}`,
  ].filter((s): s is string => typeof s === 'string');
  const out: SummaryCard['health'] = h.http
    ? { kind: 'http', text: `GET :${h.http.port}${h.http.path ?? '/'}` }
    : { kind: 'command', text: commandText(h.command as Command) };
  if (timing.length) out.timing = timing.join(', ');
  return out;
}

function commandText(c: Command): string {
  return typeof c === 'string'
    ? c
    : c.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

// ------------------------------------------------------------------- Dockerfile tokens

const INSTRUCTION = /^(\s*)([A-Za-z]+)(?=\s|$)/;

/**
 * Tokens of one Dockerfile line for highlighting: the instruction keyword, quoted strings,
 * `--flags`, `$VARIABLES` and comments; everything else is text. The tokens' texts
 * concatenate to the line.
 */
export function tokenizeDockerfileLine(line: string): DockerfileToken[] {
  const out: DockerfileToken[] = [];
  const push = (kind: DockerfileTokenKind, text: string) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.kind === kind && kind === 'text') last.text += text;
    else out.push({ kind, text });
  };
  if (/^\s*#/.test(line)) {
    push('comment', line);
    return out;
  }
  let i = 0;
  const m = INSTRUCTION.exec(line);
  if (m) {
    push('text', m[1]);
    push('instruction', m[2]);
    i = m[0].length;
  }
  while (i < line.length) {
    const rest = line.slice(i);
    const c = line[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
      const end = Math.min(j + 1, line.length);
      push('string', line.slice(i, end));
      i = end;
      continue;
    }
    const flag = /^--[A-Za-z][A-Za-z0-9-]*(=\S*)?/.exec(rest);
    if (flag && (i === 0 || /\s/.test(line[i - 1]))) {
      push('flag', flag[0]);
      i += flag[0].length;
      continue;
    }
    const variable = /^\$(\{[^}\s]*\}?|[A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (variable) {
      push('variable', variable[0]);
      i += variable[0].length;
      continue;
    }
    push('text', c === '\\' && i + 1 < line.length ? line.slice(i, i + 2) : c);
    i += c === '\\' && i + 1 < line.length ? 2 : 1;
  }
  return out;
}
