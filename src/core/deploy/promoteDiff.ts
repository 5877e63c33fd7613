// What a promote would change, field by field, the way `terraform plan` and `kubectl diff`
// say it: the active version (the one the ledger says serves) as its image carries it — the
// canonical master copy in io.mastercopy.master-copy, the files it copied in
// io.mastercopy.files, the base image's id in io.mastercopy.base-image-id — against this
// file and its build plan. How many copies, the endpoint and the autoscaling policy are not
// in an image: they come from the ledger record and the copies on the engine.
//
// Secrets are compared by name and source only: their values are never read here. A changed
// text file gets a unified diff (both sides at most MAX_DIFF_BYTES): its old content comes
// from the old master copy when it was inline, else from the image, read without running it
// (EngineClient.readImageFiles). An image built by an older Master Copy lacks what is needed
// for some fields: they are named in `notes`, never reported as unchanged.
import { createHash } from 'node:crypto';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { nodeBuildFileSystem, type BuildFileSystem } from '../build/buildFileSystem';
import { canonicalMasterCopy } from '../build/digest';
import {
  LABEL_BASE_IMAGE_ID,
  LABEL_FILES,
  manifestEntries,
  manifestValue,
  parseItem,
  parseManifest,
  type ManifestItem,
} from '../build/manifest';
import { planBuild, type BuildPlan, type ContextEntry } from '../build/plan';
import { durationMs, HEALTH_DEFAULTS, memoryBytes } from '../copies/spec';
import type { EngineClient } from '../engine/EngineClient';
import { LABEL_COPY, LABEL_MASTER_COPY, LABEL_NAME, LABEL_VERSION } from '../engine/labels';
import { autoscaleText } from '../keeper/autoscaler';
import { normalizePort, type Autoscale, type Command, type MasterCopy } from '../mastercopy/model';
import { decodeUtf8 } from '../util/utf8';
import { readDesired } from './desired';
import { shortTime } from './overview';
import { activeVersion, readLedger, type GitState, type LedgerRecord } from './ledger';

/** A changed file gets a unified diff when both sides are text of at most this many bytes. */
export const MAX_DIFF_BYTES = 64 * 1024;
/** The diff algorithm gives up after this long (a file changed everywhere): no diff then. */
const DIFF_TIMEOUT_MS = 2000;

export interface DiffChange {
  /** "env LOG_LEVEL", "file /srv/www/index.html", "ports", "runtime.memory" … */
  field: string;
  kind: 'added' | 'removed' | 'changed';
  /** As the active version has it (absent when added). */
  before?: string;
  /** As this file has it (absent when removed). */
  after?: string;
  /** Unified diff lines (---/+++ headers, @@ hunks) of a changed text file or of the build steps. */
  diff?: string[];
  /** Why a changed file has no diff, or what else is to know. */
  note?: string;
}

export interface ActiveInfo {
  version: string;
  imageId: string;
  digest: string;
  /** The ledger record that made it active: a promote or a rollback, by whom, when, from which commit. */
  seq: number;
  action: LedgerRecord['action'];
  /** ISO time. */
  at: string;
  /** user@host. */
  by: string;
  git: GitState | null;
  /** When its image was built (the engine's time); absent when the image is gone. */
  builtAt?: string;
}

export interface PromoteDiff {
  name: string;
  /** This file's version. */
  version: string;
  /** The version that serves now; null when none was ever promoted (this file is all new). */
  active: ActiveInfo | null;
  changes: DiffChange[];
  /** What could not be compared, and why ("files: cannot compare (built by an older Master Copy)"). */
  notes: string[];
}

export interface PromoteDiffOptions {
  /** How host files are read; the real file system by default. */
  fs?: BuildFileSystem;
  signal?: AbortSignal;
  /** The build plan of the master copy, when the caller has it already. */
  plan?: BuildPlan;
  /** The ledger of the master copy, when the caller has read it already. */
  ledger?: readonly LedgerRecord[];
  /** How many green copies were asked for (`promote --copies N`). */
  copies?: number;
  /** Read old contents for unified diffs (default true); without it changed files show their hashes only. */
  readContents?: boolean;
  /** More labels on the container an image's files are read through (a test run's). */
  extraLabels?: Record<string, string>;
}

/** The field groups in the order they are shown. */
const ORDER = [
  'version',
  'from',
  'base image',
  'dockerfile',
  'build.args',
  'build.steps',
  'file',
  'env',
  'secret',
  'user',
  'workdir',
  'entrypoint',
  'command',
  'ports',
  'health',
  'runtime',
  'volume',
  'label',
  'copies',
  'gateway',
  'autoscale',
] as const;
type Group = (typeof ORDER)[number];
const LEDGER_GROUPS = new Set<Group>(['version', 'copies', 'gateway', 'autoscale']);

interface Field {
  group: Group;
  /** What is shown. */
  show: string;
  /** What is compared (default: `show`). */
  compare?: string;
  /** Text whose lines are diffed when it changed (the build steps). */
  text?: string;
  /** A file of the manifest. */
  file?: { item: ManifestItem; entry?: ContextEntry };
}

type Fields = Map<string, Field>;

/** What a promote of `mc` (in `folder`) would change on the engine, field by field. */
export async function promoteDiff(
  engine: EngineClient,
  mc: MasterCopy,
  folder: string,
  options: PromoteDiffOptions = {},
): Promise<PromoteDiff> {
  const { signal } = options;
  const fs = options.fs ?? nodeBuildFileSystem;
  const plan = options.plan ?? (await planBuild(mc, folder, fs, signal));
  const ledger = options.ledger ?? (await readLedger(engine, mc.name, signal));
  const active = activeVersion(ledger);
  const notes: string[] = [];

  const after = masterCopyFields(canonicalMasterCopy(mc) as unknown as MasterCopy);
  for (const [path, entry] of manifestEntries(mc, plan.context)) {
    const item = parseItem(manifestValue(entry));
    if (item) after.set(`file ${path}`, fileField(item, entry));
  }

  // How many copies, as promote() decides it: blue's count (its desired one when autoscaled), else `copies`.
  const gateway = mc.gateway
    ? { port: mc.gateway.port, target: mc.gateway.target ?? mc.gateway.port }
    : null;
  const autoscale = gateway ? (mc.autoscale ?? null) : null;
  const scaling = autoscale && !autoscale.dryRun ? autoscale : undefined;
  let blueCount = 0;
  if (active) {
    const copies = await engine.listContainers(
      { [LABEL_NAME]: mc.name, [LABEL_COPY]: true },
      signal,
    );
    blueCount = copies.filter((c) => c.labels[LABEL_VERSION] === active.version).length;
  }
  const blueDesired =
    scaling && active
      ? (await readDesired(engine, mc.name, signal)).get(active.version)?.count
      : undefined;
  const wanted = options.copies ?? (blueDesired || blueCount || mc.copies || 1);
  const greenCount =
    active?.version === mc.version && blueCount > 0
      ? blueCount // already serving: nothing is printed
      : scaling
        ? Math.min(scaling.max, Math.max(scaling.min, wanted))
        : wanted;
  deployFields(after, greenCount, gateway, autoscale);

  if (!active) {
    return {
      name: mc.name,
      version: mc.version,
      active: null,
      changes: compareFields(new Map(), after),
      notes,
    };
  }

  const image = await engine.inspectImage(active.imageId, signal);
  const info: ActiveInfo = {
    version: active.version,
    imageId: active.imageId,
    digest: active.digest,
    seq: active.record.seq,
    action: active.record.action,
    at: active.record.at,
    by: `${active.record.by.user}@${active.record.by.host}`,
    git: active.record.git,
  };
  if (image?.created) info.builtAt = image.created;

  let old: MasterCopy | undefined;
  if (!image)
    notes.push(
      `the image of ${active.version} (${shortId(active.imageId)}) is no longer on the engine: ` +
        'only the version, copies, gateway and autoscale can be compared',
    );
  else {
    try {
      old = JSON.parse(image.labels[LABEL_MASTER_COPY] ?? '') as MasterCopy;
    } catch {
      notes.push(
        `${mc.name}:${active.version} was built by an older Master Copy and does not carry its master copy: ` +
          'only the version, copies, gateway and autoscale can be compared',
      );
    }
  }
  if (active.version === mc.version && plan.digest !== active.digest)
    notes.push(
      `this file says ${mc.version}, the active version, but with other content: ` +
        'a promote would refuse to build it (a version never changes); bump the version',
    );

  const before = old ? masterCopyFields(old) : new Map<string, Field>();
  // Without the old definition only what the ledger knows is compared: the rest is not "added".
  if (!old) for (const [key, f] of after) if (!LEDGER_GROUPS.has(f.group)) after.delete(key);
  before.set('version', { group: 'version', show: active.version });
  deployFields(before, blueCount, active.record.gateway, active.record.autoscale ?? null);

  if (old && image) {
    const manifest = parseManifest(image.labels[LABEL_FILES]);
    if (manifest === undefined || manifest === null) {
      notes.push(
        manifest === null
          ? `files: cannot compare (${active.version} copied too many files to list them in its image)`
          : 'files: cannot compare (built by an older Master Copy)',
      );
      for (const key of [...after.keys()])
        if (after.get(key)?.group === 'file' && after.get(key)?.file) after.delete(key);
    } else for (const [path, item] of manifest) before.set(`file ${path}`, fileField(item));

    if (old.from !== undefined && old.from === mc.from) {
      const moved = await baseImageMoved(
        engine,
        plan,
        old.from,
        image.labels[LABEL_BASE_IMAGE_ID],
        signal,
      );
      if (moved === 'unknown')
        notes.push(
          `base image: whether ${old.from} has moved since ${active.version} was built cannot be told ` +
            '(built by an older Master Copy)',
        );
      else if (moved) {
        before.set('base image', { group: 'base image', show: `${old.from} (${moved.before})` });
        after.set('base image', { group: 'base image', show: `${old.from} (${moved.after})` });
      }
    }
  }

  const changes = compareFields(before, after);
  for (const c of changes)
    if (c.field === 'base image')
      c.note = `${mc.from} names another image than when ${active.version} was built`;
  if (options.readContents !== false && old)
    await addFileDiffs(engine, changes, before, after, old, active.imageId, fs, options, notes);
  return { name: mc.name, version: mc.version, active: info, changes, notes };
}

/** The base image's id then and now, when they differ; false when alike; 'unknown' without a record of then. */
async function baseImageMoved(
  engine: EngineClient,
  plan: BuildPlan,
  from: string,
  then: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ before: string; after: string } | false | 'unknown'> {
  if (!then) return 'unknown';
  // Built already (same digest): a promote takes that image, with the base it was built on.
  const built = await engine.inspectImage(plan.tag, signal);
  const now =
    (built && built.labels[LABEL_BASE_IMAGE_ID]) ?? (await engine.inspectImage(from, signal))?.id;
  if (now === then) return false;
  return { before: shortId(then), after: now ? shortId(now) : 'not on this engine' };
}

/** The fields of a master copy (canonical: as its image carries it). */
function masterCopyFields(m: MasterCopy): Fields {
  const f: Fields = new Map();
  const set = (key: string, group: Group, show: string, compare?: string) =>
    f.set(key, compare === undefined ? { group, show } : { group, show, compare });
  set('version', 'version', m.version);
  if (m.from !== undefined) set('from', 'from', m.from);
  if (m.dockerfile !== undefined) set('dockerfile', 'dockerfile', m.dockerfile);
  for (const [k, v] of Object.entries(m.build?.args ?? {}))
    set(`build.args ${k}`, 'build.args', String(v));
  const steps = m.build?.steps ?? [];
  if (steps.length)
    f.set('build.steps', {
      group: 'build.steps',
      show: `${steps.length} ${steps.length === 1 ? 'step' : 'steps'}`,
      text: steps.map(commandText).join('\n') + '\n',
    });
  for (const file of m.files ?? []) {
    if (file.source !== undefined) set(`file ${file.path} source`, 'file', file.source);
    if (file.owner !== undefined) set(`file ${file.path} owner`, 'file', file.owner);
  }
  for (const [k, v] of Object.entries(m.env ?? {})) set(`env ${k}`, 'env', String(v));
  for (const s of m.secrets ?? [])
    set(
      `secret ${s.name}`,
      'secret',
      s.fromFile !== undefined ? `from file ${s.fromFile}` : `from env ${s.fromEnv ?? s.name}`,
    );
  if (m.user !== undefined) set('user', 'user', m.user);
  if (m.workdir !== undefined) set('workdir', 'workdir', m.workdir);
  if (m.entrypoint !== undefined) set('entrypoint', 'entrypoint', commandText(m.entrypoint));
  if (m.command !== undefined) set('command', 'command', commandText(m.command));
  const ports = (m.ports ?? [])
    .map(normalizePort)
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
    .map(
      (p) =>
        `${p.port}/${p.protocol}${p.hostPort !== undefined ? ` on host port ${p.hostPort}` : ''}`,
    );
  if (ports.length) set('ports', 'ports', ports.join(', '));
  const h = m.health;
  if (h) {
    if (h.http) set('health', 'health', `http port ${h.http.port} path ${h.http.path ?? '/'}`);
    else if (h.command !== undefined) set('health', 'health', `command ${commandText(h.command)}`);
    const ms = (key: 'interval' | 'timeout' | 'startPeriod', fallback: number) => {
      const value = h[key];
      set(
        `health.${key}`,
        'health',
        value ?? `${fallback / 1000}s`,
        String(durationMs(value, fallback)),
      );
    };
    ms('interval', HEALTH_DEFAULTS.intervalMs);
    ms('timeout', HEALTH_DEFAULTS.timeoutMs);
    set('health.retries', 'health', String(h.retries ?? HEALTH_DEFAULTS.retries));
    ms('startPeriod', HEALTH_DEFAULTS.startPeriodMs);
  }
  // With the defaults a copy gets: leaving out a default is no change.
  const r = m.runtime ?? {};
  set('runtime.readOnly', 'runtime', String(r.readOnly ?? true));
  set('runtime.tmpfs', 'runtime', list(r.tmpfs ?? ['/tmp']));
  set('runtime.capabilities.drop', 'runtime', list(r.capabilities?.drop ?? ['ALL']));
  set('runtime.capabilities.add', 'runtime', list(r.capabilities?.add ?? []));
  set('runtime.noNewPrivileges', 'runtime', String(r.noNewPrivileges ?? true));
  set(
    'runtime.memory',
    'runtime',
    r.memory ?? 'no limit',
    r.memory !== undefined ? String(memoryBytes(r.memory)) : 'no limit',
  );
  set('runtime.cpus', 'runtime', r.cpus !== undefined ? String(r.cpus) : 'no limit');
  set('runtime.restart', 'runtime', r.restart ?? 'no');
  for (const v of m.volumes ?? [])
    set(`volume ${v.name}`, 'volume', `${v.path}${v.readOnly ? ' (read-only)' : ''}`);
  for (const [k, v] of Object.entries(m.labels ?? {})) set(`label ${k}`, 'label', String(v));
  return f;
}

/** What the ledger and the engine hold, not the image: copies, the endpoint, the autoscaling policy. */
function deployFields(
  f: Fields,
  copies: number,
  gateway: { port: number; target: number } | null,
  autoscale: Autoscale | null,
): void {
  f.set('copies', { group: 'copies', show: String(copies) });
  if (gateway)
    f.set('gateway', { group: 'gateway', show: `port ${gateway.port} → ${gateway.target}` });
  if (autoscale) f.set('autoscale', { group: 'autoscale', show: autoscaleText(autoscale) });
}

function fileField(item: ManifestItem, entry?: ContextEntry): Field {
  const show =
    item.type === 'symlink'
      ? `link to ${item.target}`
      : `${item.mode.toString(8).padStart(4, '0')}, ${bytesText(item.size)}, sha256:${item.sha256.slice(0, 12)}`;
  return {
    group: 'file',
    show,
    compare:
      item.type === 'symlink' ? `link ${item.target}` : `${item.mode} ${item.size} ${item.sha256}`,
    file: entry ? { item, entry } : { item },
  };
}

/** Every field that differs, in ORDER, then by name. */
function compareFields(before: Fields, after: Fields): DiffChange[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  const group = (k: string) => ORDER.indexOf((after.get(k) ?? before.get(k))!.group);
  keys.sort((a, b) => group(a) - group(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: DiffChange[] = [];
  for (const field of keys) {
    const b = before.get(field);
    const a = after.get(field);
    if (a && b) {
      if ((a.compare ?? a.show) === (b.compare ?? b.show) && a.text === b.text) continue;
      const change: DiffChange = { field, kind: 'changed', before: b.show, after: a.show };
      if (a.text !== undefined && b.text !== undefined)
        change.diff = unifiedDiff(field, b.text, a.text);
      out.push(change);
    } else if (a) out.push({ field, kind: 'added', after: a.show });
    else if (b) out.push({ field, kind: 'removed', before: b.show });
  }
  return out;
}

/** Unified diffs of the changed text files (both at most MAX_DIFF_BYTES), their old contents read once. */
async function addFileDiffs(
  engine: EngineClient,
  changes: DiffChange[],
  before: Fields,
  after: Fields,
  old: MasterCopy,
  imageId: string,
  fs: BuildFileSystem,
  options: PromoteDiffOptions,
  notes: string[],
): Promise<void> {
  const wanted: {
    change: DiffChange;
    path: string;
    oldItem: ManifestItem & { type: 'file' };
    entry: ContextEntry;
  }[] = [];
  for (const change of changes) {
    const b = before.get(change.field)?.file;
    const a = after.get(change.field)?.file;
    if (change.kind !== 'changed' || !a?.entry || !b) continue;
    if (a.item.type !== 'file' || b.item.type !== 'file' || a.item.sha256 === b.item.sha256)
      continue;
    if (a.item.size > MAX_DIFF_BYTES || b.item.size > MAX_DIFF_BYTES) {
      change.note = `larger than ${MAX_DIFF_BYTES / 1024} KiB: no diff shown`;
      continue;
    }
    wanted.push({
      change,
      path: change.field.slice('file '.length),
      oldItem: b.item,
      entry: a.entry,
    });
  }
  if (!wanted.length) return;
  // Inline content is in the old master copy itself; other files are read from the image (absolute paths only).
  const oldContent = new Map<string, Buffer | undefined>();
  for (const w of wanted) {
    const inline = [...(old.files ?? [])].reverse().find((f) => f.path === w.path)?.content;
    if (inline !== undefined && sha256(Buffer.from(inline, 'utf8')) === w.oldItem.sha256)
      oldContent.set(w.path, Buffer.from(inline, 'utf8'));
  }
  const toRead = wanted.map((w) => w.path).filter((p) => !oldContent.has(p) && p.startsWith('/'));
  if (toRead.length) {
    try {
      const read = await engine.readImageFiles(
        imageId,
        toRead,
        { maxBytes: MAX_DIFF_BYTES, labels: options.extraLabels },
        options.signal,
      );
      for (const [p, content] of read) oldContent.set(p, content);
    } catch (e) {
      options.signal?.throwIfAborted();
      notes.push(
        `the old contents of changed files could not be read from the image: ${(e as Error).message}`,
      );
    }
  }
  for (const w of wanted) {
    const before = oldContent.get(w.path);
    if (!before || sha256(before) !== w.oldItem.sha256) {
      // With `dockerfile:` a context file's place in the image is the Dockerfile's business.
      w.change.note = w.path.startsWith('/')
        ? 'its old content cannot be read from the image: no diff shown'
        : 'a file of the build context: its old content is not kept, no diff shown';
      continue;
    }
    const now = await entryContent(w.entry, fs, options.signal);
    if (!now) {
      w.change.note = 'changed while it was being read: no diff shown';
      continue;
    }
    const a = textOf(before);
    const b = textOf(now);
    if (a === undefined || b === undefined) {
      w.change.note = 'binary: no diff shown';
      continue;
    }
    const diff = unifiedDiff(w.change.field.slice('file '.length), a, b);
    if (diff) w.change.diff = diff;
    else w.change.note = 'changed too much to diff in time: no diff shown';
  }
}

/** The bytes a context entry sends (checked against its hash); undefined when the file changed since it was planned. */
async function entryContent(
  e: ContextEntry,
  fs: BuildFileSystem,
  signal: AbortSignal | undefined,
): Promise<Buffer | undefined> {
  if (e.content) return e.content;
  if (!e.hostPath) return undefined;
  const chunks: Buffer[] = [];
  try {
    for await (const c of fs.read(e.hostPath, signal, e.identity)) chunks.push(Buffer.from(c));
  } catch (err) {
    signal?.throwIfAborted();
    if ((err as Error).name === 'FileChangedError') return undefined;
    throw err;
  }
  const content = Buffer.concat(chunks);
  return sha256(content) === e.sha256 ? content : undefined;
}

/** UTF-8 text without NUL; undefined for anything else (shown as binary). */
function textOf(b: Buffer): string | undefined {
  if (b.includes(0)) return undefined;
  const { text, notUtf8 } = decodeUtf8(b);
  return notUtf8 ? undefined : text;
}

function unifiedDiff(name: string, before: string, after: string): string[] | undefined {
  const label = name.startsWith('/') ? name : `/${name}`;
  const patch = createTwoFilesPatch(`a${label}`, `b${label}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) return undefined;
  const lines = patch.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function commandText(c: Command): string {
  return typeof c === 'string' ? c : `[${c.map((a) => JSON.stringify(a)).join(', ')}]`;
}

function list(items: readonly string[]): string {
  return items.length ? items.join(', ') : 'none';
}

function bytesText(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The diff as lines for a terminal, `terraform plan` style: `~ field: before → after`, `+ field: after`, `- field: before`. */
export function promoteDiffLines(d: PromoteDiff): string[] {
  const lines: string[] = [];
  const a = d.active;
  if (!a)
    lines.push(
      `${d.name}: nothing is active on this engine (never promoted here): everything in ${d.version} is new.`,
    );
  else {
    lines.push(`${d.name}: ${a.version} (active) → ${d.version} (this file)`);
    const built = a.builtAt ? `; image ${shortId(a.imageId)} built ${shortTime(a.builtAt)}` : '';
    lines.push(`  ${activeText(a)}${built}`);
  }
  for (const c of d.changes) {
    if (c.kind === 'changed') lines.push(`~ ${c.field}: ${c.before} → ${c.after}`);
    else if (c.kind === 'added') lines.push(`+ ${c.field}: ${c.after}`);
    else lines.push(`- ${c.field}: ${c.before}`);
    if (c.note) lines.push(`    (${c.note})`);
    for (const l of c.diff ?? []) lines.push(`    ${l}`);
  }
  for (const n of d.notes) lines.push(`! ${n}`);
  lines.push(changeSummary(d));
  return lines;
}

/** "promoted by ann@box at 2026-12-01 10:00:00Z, from commit abc123def456": who made the active version active. */
export function activeText(a: ActiveInfo): string {
  const how = a.action === 'rollback' ? 'made active again by a rollback' : 'promoted';
  const commit = a.git
    ? `, from commit ${a.git.commit.slice(0, 12)}${a.git.dirty ? ' (with uncommitted changes)' : ''}`
    : ', not from a git repository';
  return `${how} by ${a.by} at ${shortTime(a.at)}${commit}`;
}

/** "3 changes: 1 added, 1 removed, 1 changed." or that a promote would change nothing. */
export function changeSummary(d: PromoteDiff): string {
  const n = d.changes.length;
  if (!n) return 'No change from the active version.';
  const count = (k: DiffChange['kind']) => d.changes.filter((c) => c.kind === k).length;
  return (
    `${n} ${n === 1 ? 'change' : 'changes'}: ` +
    `${count('added')} added, ${count('removed')} removed, ${count('changed')} changed.`
  );
}
