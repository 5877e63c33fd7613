// Configuration shift: each copy compared with what its version says — the master copy its
// image was built from (the image's io.mastercopy.master-copy label), never today's file.
// What `docker update` changes on a running container (memory, CPUs, restart policy) is said
// to be "changed in place". A secret's value is compared between the copies of a version by
// hash, and never shown. A copy that cannot be compared (its image is gone, or was built by
// an older Master Copy) is "cannot check", with the reason: never clean.
//
// Checked now: image, memory, CPUs, restart policy, read-only root, capabilities,
// no-new-privileges, privileged, networks, env values the master copy sets, secrets present
// and alike, the digest label, and files changed in a writable copy. Not yet (issue 11):
// mounts, published ports, command, user and workdir.
import { createHash } from 'node:crypto';
import type { ContainerDetails, EngineClient, FilesystemChange } from '../engine/EngineClient';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MASTER_COPY,
  LABEL_NAME,
  LABEL_VERSION,
} from '../engine/labels';
import { memoryBytes, networkName } from '../copies/spec';
import type { MasterCopy } from '../mastercopy/model';

export interface DriftItem {
  /** "memory", "env LOG_LEVEL", "secret DB_PASSWORD" … */
  what: string;
  /** What the version says, and what the copy runs with (a secret: "(hidden)"). */
  expected: string;
  actual: string;
  /** Changed on the running container (`docker update`), not printed so. */
  inPlace: boolean;
}

export interface CopyDrift {
  name: string;
  version: string;
  index: number;
  id: string;
  state: 'clean' | 'drifted' | 'cannot-check';
  /** Why it cannot be checked. */
  reason?: string;
  items: DriftItem[];
}

/** The copies of `name` (or of every master copy), each compared with its version. */
export async function checkDrift(
  engine: EngineClient,
  name?: string,
  signal?: AbortSignal,
): Promise<CopyDrift[]> {
  const copies = await engine.listContainers(
    { [LABEL_NAME]: name ?? true, [LABEL_COPY]: true },
    signal,
  );
  const details = (
    await Promise.all(copies.map((c) => engine.inspectContainer(c.id, signal)))
  ).filter((d): d is ContainerDetails => d !== undefined);
  const versions = new Map<string, ContainerDetails[]>();
  for (const d of details) {
    const key = `${d.labels[LABEL_NAME]}:${d.labels[LABEL_VERSION]}`;
    versions.set(key, [...(versions.get(key) ?? []), d]);
  }
  const out: CopyDrift[] = [];
  for (const [tag, group] of versions) {
    const image = await engine.inspectImage(tag, signal);
    let mc: MasterCopy | undefined;
    let reason: string | undefined;
    if (!image) reason = `the image ${tag} is gone, so what its version says cannot be read`;
    else {
      try {
        mc = JSON.parse(image.labels[LABEL_MASTER_COPY] ?? '') as MasterCopy;
      } catch {
        reason = `${tag} was built by an older Master Copy: its image does not carry its master copy`;
      }
    }
    const secretHashes = new Map<string, string>();
    for (const d of group.sort((a, b) => index(a) - index(b))) {
      const base = {
        name: d.labels[LABEL_NAME],
        version: d.labels[LABEL_VERSION],
        index: index(d),
        id: d.id,
      };
      if (!mc || !image) {
        out.push({ ...base, state: 'cannot-check', reason, items: [] });
        continue;
      }
      const items = compare(mc, d, image.id, image.labels[LABEL_DIGEST] ?? '', secretHashes);
      items.push(...(await fileChanges(engine, mc, d, signal)));
      out.push({ ...base, state: items.length ? 'drifted' : 'clean', items });
    }
  }
  return out.sort((a, b) =>
    a.name < b.name
      ? -1
      : a.name > b.name
        ? 1
        : a.version < b.version
          ? -1
          : a.version > b.version
            ? 1
            : a.index - b.index,
  );
}

function index(d: ContainerDetails): number {
  return Number(d.labels[LABEL_COPY] ?? -1);
}

function compare(
  mc: MasterCopy,
  d: ContainerDetails,
  imageId: string,
  digest: string,
  secretHashes: Map<string, string>,
): DriftItem[] {
  const items: DriftItem[] = [];
  const differ = (what: string, expected: string, actual: string, inPlace = false) => {
    if (expected !== actual) items.push({ what, expected, actual, inPlace });
  };
  const runtime = mc.runtime ?? {};
  differ('image', short(imageId), short(d.imageId));
  differ('digest label', digest, d.labels[LABEL_DIGEST] ?? '(none)');
  differ(
    'memory',
    runtime.memory !== undefined ? bytesText(memoryBytes(runtime.memory)) : 'no limit',
    d.memoryBytes ? bytesText(d.memoryBytes) : 'no limit',
    true,
  );
  differ(
    'CPUs',
    runtime.cpus !== undefined ? String(runtime.cpus) : 'no limit',
    d.nanoCpus ? String(d.nanoCpus / 1e9) : 'no limit',
    true,
  );
  differ('restart policy', runtime.restart ?? 'no', d.restartPolicy, true);
  differ('read-only root', String(runtime.readOnly ?? true), String(d.readOnly));
  differ('capabilities dropped', set(runtime.capabilities?.drop ?? ['ALL']), set(d.capDrop));
  differ('capabilities added', set(runtime.capabilities?.add ?? []), set(d.capAdd));
  differ(
    'no-new-privileges',
    String(runtime.noNewPrivileges ?? true),
    String(d.securityOpt.some((o) => /^no-new-privileges(:true)?$/.test(o))),
  );
  differ('privileged', 'false', String(d.privileged));
  // (A stopped copy is on no network.)
  if (d.running)
    differ(
      'networks',
      networkName(mc.name),
      Object.keys(d.addresses).sort().join(', ') || '(none)',
    );
  const env = new Map(
    d.env.map((e) => [
      e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')),
      e.slice(e.indexOf('=') + 1),
    ]),
  );
  for (const [k, v] of Object.entries(mc.env ?? {}))
    differ(`env ${k}`, String(v), env.has(k) ? (env.get(k) as string) : '(unset)');
  for (const s of mc.secrets ?? []) {
    const value = env.get(s.name);
    if (value === undefined) {
      items.push({
        what: `secret ${s.name}`,
        expected: '(set)',
        actual: '(unset)',
        inPlace: false,
      });
      continue;
    }
    const hash = createHash('sha256').update(value).digest('hex');
    const first = secretHashes.get(s.name);
    if (first === undefined) secretHashes.set(s.name, hash);
    else if (first !== hash)
      items.push({
        what: `secret ${s.name}`,
        expected: '(the value of the first copy)',
        actual: '(another value, not shown)',
        inPlace: false,
      });
  }
  return items;
}

/**
 * Files changed, added or deleted in a copy with a writable root since it started (the
 * engine's filesystem-changes API); tmpfs and volume paths are meant to change and are left
 * out. A read-only copy cannot change (and its tmpfs are left out anyway).
 */
async function fileChanges(
  engine: EngineClient,
  mc: MasterCopy,
  d: ContainerDetails,
  signal?: AbortSignal,
): Promise<DriftItem[]> {
  if (d.readOnly) return [];
  const meant = [...Object.keys(d.tmpfs), ...(mc.volumes ?? []).map((v) => v.path)];
  // What the engine itself puts into every container (its init; Podman's): not a change.
  const engineOwn = ['/sbin/docker-init', '/run/podman-init', '/.dockerenv'];
  const byEngine = (c: FilesystemChange) =>
    engineOwn.some((p) => p === c.path || (c.kind !== 'deleted' && p.startsWith(`${c.path}/`)));
  const inside = (path: string) =>
    meant.some((m) => path === m || path.startsWith(m.endsWith('/') ? m : `${m}/`));
  const changes = (await engine.filesystemChanges(d.id, signal)) ?? [];
  // A changed folder is listed with what changed in it: the folder itself says nothing more.
  const folder = (c: FilesystemChange) =>
    c.kind === 'changed' && changes.some((o) => o.path.startsWith(`${c.path}/`));
  return changes
    .filter((c) => !inside(c.path) && !folder(c) && !byEngine(c))
    .map((c) => ({ what: `file ${c.path}`, expected: 'as built', actual: c.kind, inPlace: false }));
}

/**
 * "copy 1 of shop 1.0.0: memory 64m → 128m (changed in place)",
 * "copy 0 of shop 1.0.0: /etc/hosts.allow added"
 */
export function driftLines(c: CopyDrift): string[] {
  const who = `copy ${c.index} of ${c.name} ${c.version}`;
  if (c.state === 'cannot-check') return [`${who}: cannot check: ${c.reason ?? 'unknown'}`];
  if (c.state === 'clean') return [`${who}: matches its version`];
  return c.items.map((i) =>
    i.what.startsWith('file ')
      ? `${who}: ${i.what.slice(5)} ${i.actual}`
      : `${who}: ${i.what} ${i.expected} → ${i.actual}${i.inPlace ? ' (changed in place)' : ''}`,
  );
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Docker's default capabilities: an engine that lists them all as dropped (Podman) dropped ALL. */
const DEFAULT_CAPS = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

function set(xs: string[]): string {
  const caps = new Set(xs.map((x) => x.toUpperCase().replace(/^CAP_/, '')));
  if (DEFAULT_CAPS.every((c) => caps.has(c))) return 'ALL';
  return [...caps].sort().join(',') || '(none)';
}

/** 67108864 → "64m" (the master copy's own units). */
function bytesText(n: number): string {
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const)
    if (n % size === 0) return `${n / size}${unit}`;
  return `${n}b`;
}
