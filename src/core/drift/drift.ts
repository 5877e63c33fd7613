// Configuration shift: each copy compared with what its version says — the master copy its
// image was built from (the image's io.mastercopy.master-copy label), never today's file —
// and each keeper with what ensureKeeper makes. The expected side is the very spec a print
// (or the keeper's start) would create now (copyContainerSpec, keeperContainerSpec), with
// what the image itself supplies (command, user, env …) filled in as the engine does; the
// actual side is the engine's record of the container. What `docker update` changes on a
// running container (memory, CPUs, restart policy) is "changed in place". A secret's value
// is compared between the copies of a version by hash, and never shown. A copy that cannot
// be compared (its image is gone, or was built by an older Master Copy) is "cannot check",
// with the reason: never clean.
import { createHash } from 'node:crypto';
import type {
  ContainerDetails,
  ContainerSpec,
  EngineClient,
  FilesystemChange,
  ImageConfig,
} from '../engine/EngineClient';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MASTER_COPY,
  LABEL_NAME,
  LABEL_ROLE,
  LABEL_VERSION,
} from '../engine/labels';
import { copyContainerSpec, legacyVolumeName, networkName } from '../copies/spec';
import {
  KEEPER_ENGINE_SOCKET,
  LABEL_GATEWAY,
  ROLE_KEEPER,
  keeperContainerSpec,
} from '../keeper/keeperContainer';
import type { Diagnostic } from '../mastercopy/diagnostic';
import type { MasterCopy } from '../mastercopy/model';
import type { ParsedYaml, PathSegment } from '../mastercopy/yamlSource';

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
  /** A copy of a version, or the keeper of a master copy (which has no version or index). */
  role: 'copy' | 'keeper';
  name: string;
  /** '' for a keeper. */
  version: string;
  /** -1 for a keeper. */
  index: number;
  id: string;
  state: 'clean' | 'drifted' | 'cannot-check';
  /** Why it cannot be checked. */
  reason?: string;
  items: DriftItem[];
}

/** The copies and keepers of `name` (or of every master copy), each compared with what it should be. */
export async function checkDrift(
  engine: EngineClient,
  name?: string,
  signal?: AbortSignal,
): Promise<CopyDrift[]> {
  const [copies, keepers] = await Promise.all([
    engine.listContainers({ [LABEL_NAME]: name ?? true, [LABEL_COPY]: true }, signal),
    engine.listContainers({ [LABEL_NAME]: name ?? true, [LABEL_ROLE]: ROLE_KEEPER }, signal),
  ]);
  const inspect = async (ids: string[]) =>
    (await Promise.all(ids.map((id) => engine.inspectContainer(id, signal)))).filter(
      (d): d is ContainerDetails => d !== undefined,
    );
  const [details, keeperDetails] = await Promise.all([
    inspect(copies.map((c) => c.id)),
    inspect(keepers.map((c) => c.id)),
  ]);
  const versions = new Map<string, ContainerDetails[]>();
  for (const d of details) {
    const key = `${d.labels[LABEL_NAME]}:${d.labels[LABEL_VERSION]}`;
    versions.set(key, [...(versions.get(key) ?? []), d]);
  }
  const groups = await Promise.all(
    [...versions].map(([tag, group]) => versionDrift(engine, tag, group, signal)),
  );
  const out = [
    ...groups.flat(),
    ...(await Promise.all(keeperDetails.map((d) => keeperDrift(engine, d, signal)))),
  ];
  return out.sort((a, b) => order(a).localeCompare(order(b)) || a.index - b.index);
}

/** By name, keeper first, then by version. */
function order(c: CopyDrift): string {
  return `${c.name}\u0000${c.role === 'keeper' ? '' : `\u0001${c.version}`}`;
}

async function versionDrift(
  engine: EngineClient,
  tag: string,
  group: ContainerDetails[],
  signal?: AbortSignal,
): Promise<CopyDrift[]> {
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
  const sorted = group.sort((a, b) => index(a) - index(b));
  return Promise.all(
    sorted.map(async (d): Promise<CopyDrift> => {
      const base = {
        role: 'copy' as const,
        name: d.labels[LABEL_NAME],
        version: d.labels[LABEL_VERSION],
        index: index(d),
        id: d.id,
      };
      if (!mc || !image) return { ...base, state: 'cannot-check', reason, items: [] };
      const spec = copyContainerSpec(mc, {
        image: tag,
        digest: image.labels[LABEL_DIGEST] ?? '',
        index: index(d),
        network: networkName(mc.name),
        // A volume kept under its older name (its data is there) is not a change.
        volumeNames: Object.fromEntries(
          (mc.volumes ?? []).flatMap((v) =>
            d.mounts.some((m) => m.name === legacyVolumeName(mc.name, v.name))
              ? [[v.name, legacyVolumeName(mc.name, v.name)]]
              : [],
          ),
        ),
      });
      const items = specDrift(
        spec,
        d,
        image.id,
        image.config,
        new Set((mc.secrets ?? []).map((s) => s.name)),
      );
      items.push(...secretDrift(mc, d, secretHashes));
      items.push(...(await fileChanges(engine, mc, d, signal)));
      return { ...base, state: items.length ? 'drifted' : 'clean', items };
    }),
  );
}

/** A keeper compared with what ensureKeeper would start for its gateway, on its image. */
async function keeperDrift(
  engine: EngineClient,
  d: ContainerDetails,
  signal?: AbortSignal,
): Promise<CopyDrift> {
  const name = d.labels[LABEL_NAME];
  const base = { role: 'keeper' as const, name, version: '', index: -1, id: d.id };
  const [port, target] = (d.labels[LABEL_GATEWAY] ?? '').split(' ').map(Number);
  const image = await engine.inspectImage(d.image, signal);
  if (!image || !(port > 0))
    return {
      ...base,
      state: 'cannot-check',
      reason: image ? 'it carries no gateway label' : `its image ${d.image} is gone`,
      items: [],
    };
  // Where the engine's socket is on the engine's host, and where the gateway listens, are
  // the settings of whoever started it: taken as they are.
  const socket = d.mounts.find((m) => m.destination === KEEPER_ENGINE_SOCKET)?.source;
  const listen = d.portBindings.find((p) => p.containerPort === port)?.hostIp;
  const spec = keeperContainerSpec(
    name,
    { port, target: target || port },
    d.image,
    { id: networkName(name), name: networkName(name) },
    { engineSocket: socket, listenAddress: listen },
  );
  const items = specDrift(spec, d, image.id, image.config, new Set());
  return { ...base, state: items.length ? 'drifted' : 'clean', items };
}

function index(d: ContainerDetails): number {
  return Number(d.labels[LABEL_COPY] ?? -1);
}

/** What the engine itself puts into a container's environment (Podman's). */
const ENGINE_ENV = new Set(['container', 'HOSTNAME', 'HOME', 'TERM']);

/**
 * Podman mounts a writable tmpfs on these of every read-only container, with these options
 * (its --read-only-tmpfs, which its Docker API always sets: a client cannot ask otherwise),
 * and reports them as the container's tmpfs: the engine's own, like its init.
 */
const PODMAN_READ_ONLY_TMPFS = ['/run', '/tmp', '/var/tmp'];
const PODMAN_TMPFS_OPTIONS = 'rw,rprivate,nosuid,nodev,tmpcopyup';

/** The tmpfs paths of `d` that its spec asked for or the engine added by itself. */
function actualTmpfs(spec: ContainerSpec, d: ContainerDetails): string[] {
  return Object.entries(d.tmpfs)
    .filter(
      ([path, options]) =>
        (spec.tmpfs ?? []).includes(path) ||
        !(d.readOnly && PODMAN_READ_ONLY_TMPFS.includes(path) && options === PODMAN_TMPFS_OPTIONS),
    )
    .map(([path]) => path);
}

/**
 * `spec` (what would be created now, `spec.network` a network's name) against the engine's
 * record of the container. What the spec leaves to the image is the image's, as the engine
 * fills it in. `secrets`: variables compared elsewhere, by hash.
 */
export function specDrift(
  spec: ContainerSpec,
  d: ContainerDetails,
  imageId: string,
  image: ImageConfig | undefined,
  secrets: ReadonlySet<string>,
): DriftItem[] {
  const items: DriftItem[] = [];
  const differ = (what: string, expected: string, actual: string, inPlace = false) => {
    if (expected !== actual) items.push({ what, expected, actual, inPlace });
  };
  differ('image', short(imageId), short(d.imageId));
  for (const [k, v] of Object.entries(spec.labels))
    differ(`label ${k}`, v, d.labels[k] ?? '(none)');
  if (image) {
    // The engine's rule: an entrypoint given at create also drops the image's command.
    const entrypoint = spec.entrypoint ?? image.entrypoint;
    const command = spec.command ?? (spec.entrypoint ? [] : image.cmd);
    differ('entrypoint', argv(entrypoint), argv(d.entrypoint));
    differ('command', argv(command), argv(d.cmd));
    differ('user', spec.user ?? (image.user || "(the image's)"), d.user || "(the image's)");
    differ('workdir', (spec.workdir ?? image.workdir) || '/', d.workdir || '/');
  }
  const actualEnv = envMap(d.env);
  const expectedEnv = new Map([...envMap(image?.env ?? []), ...Object.entries(spec.env ?? {})]);
  for (const [k, v] of expectedEnv)
    if (!secrets.has(k)) differ(`env ${k}`, v, actualEnv.get(k) ?? '(unset)');
  // A variable nobody asked for: its value may be a secret, so it is not shown.
  for (const k of actualEnv.keys())
    if (!expectedEnv.has(k) && !secrets.has(k) && !ENGINE_ENV.has(k))
      items.push({ what: `env ${k}`, expected: '(unset)', actual: '(set)', inPlace: false });
  differ(
    'published ports',
    portsText(spec.ports ?? [], spec.ports ?? []),
    portsText(d.portBindings, spec.ports ?? []),
  );
  differ(
    'memory',
    spec.memoryBytes ? bytesText(spec.memoryBytes) : 'no limit',
    d.memoryBytes ? bytesText(d.memoryBytes) : 'no limit',
    true,
  );
  differ(
    'CPUs',
    spec.cpus !== undefined ? String(spec.cpus) : 'no limit',
    d.nanoCpus ? String(d.nanoCpus / 1e9) : 'no limit',
    true,
  );
  differ('restart policy', spec.restart ?? 'no', d.restartPolicy, true);
  differ('read-only root', String(spec.readOnly ?? true), String(d.readOnly));
  differ('tmpfs', list(spec.tmpfs ?? []), list(actualTmpfs(spec, d)));
  differ('capabilities dropped', set(spec.capDrop ?? ['ALL']), set(d.capDrop));
  differ('capabilities added', set(spec.capAdd ?? []), set(d.capAdd));
  differ(
    'no-new-privileges',
    String(spec.noNewPrivileges ?? true),
    String(d.securityOpt.some((o) => /^no-new-privileges(:true)?$/.test(o))),
  );
  differ('privileged', 'false', String(d.privileged));
  const expectedMounts = [
    ...(spec.volumes ?? []).map(
      (v) => `${v.path} volume ${v.name}${v.readOnly ? ' (read-only)' : ''}`,
    ),
    ...(spec.binds ?? []).map(
      (b) => `${b.path} bind ${b.source}${b.readOnly ? ' (read-only)' : ''}`,
    ),
  ];
  // The image's own VOLUMEs get an anonymous volume in every container: not a change.
  const anonymous = (m: ContainerDetails['mounts'][number]) =>
    m.type === 'volume' &&
    (image?.volumes ?? []).includes(m.destination) &&
    !spec.volumes?.some((v) => v.path === m.destination);
  const actualMounts = d.mounts
    .filter((m) => !anonymous(m))
    .map(
      (m) =>
        `${m.destination} ${m.type} ${m.type === 'volume' ? (m.name ?? m.source) : m.source}${m.readOnly ? ' (read-only)' : ''}`,
    );
  differ('mounts', list(expectedMounts), list(actualMounts));
  // (A stopped container is on no network.)
  if (d.running && spec.network)
    differ('networks', spec.network, Object.keys(d.addresses).sort().join(', ') || '(none)');
  return items;
}

/** The master copy's secrets: present on each copy, and alike on every copy of the version. */
function secretDrift(
  mc: MasterCopy,
  d: ContainerDetails,
  secretHashes: Map<string, string>,
): DriftItem[] {
  const items: DriftItem[] = [];
  const env = envMap(d.env);
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

function envMap(env: readonly string[]): Map<string, string> {
  return new Map(
    env.map((e) =>
      e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, ''],
    ),
  );
}

/** ["node", "server.js"] → `node server.js`, quoting what needs it. */
function argv(args: readonly string[]): string {
  if (!args.length) return '(none)';
  return args.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * "8080/tcp on 127.0.0.1, 9000/udp on 127.0.0.1:9000": a host port only where the
 * expected side fixes one (an ephemeral port is whatever the engine picked).
 */
function portsText(
  ports: readonly { containerPort: number; protocol: string; hostIp?: string; hostPort?: number }[],
  expected: readonly { containerPort: number; protocol: string; hostPort?: number }[],
): string {
  const fixed = (p: { containerPort: number; protocol: string }) =>
    expected.find((e) => e.containerPort === p.containerPort && e.protocol === p.protocol)
      ?.hostPort !== undefined;
  return list(
    ports.map(
      (p) =>
        `${p.containerPort}/${p.protocol} on ${p.hostIp || '0.0.0.0'}${fixed(p) && p.hostPort ? `:${p.hostPort}` : ''}`,
    ),
  );
}

function list(xs: readonly string[]): string {
  return [...new Set(xs)].sort().join(', ') || '(none)';
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
  const who =
    c.role === 'keeper' ? `the keeper of ${c.name}` : `copy ${c.index} of ${c.name} ${c.version}`;
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

/** Where in a master copy each kind of drift item is said: the most specific path first. */
function driftPaths(what: string): PathSegment[][] {
  const [head, ...rest] = what.split(' ');
  const tail = rest.join(' ');
  const runtime = (key: string): PathSegment[][] => [['runtime', key], ['runtime'], ['name']];
  switch (what) {
    case 'memory':
      return runtime('memory');
    case 'CPUs':
      return runtime('cpus');
    case 'restart policy':
      return runtime('restart');
    case 'read-only root':
      return runtime('readOnly');
    case 'tmpfs':
      return runtime('tmpfs');
    case 'capabilities dropped':
    case 'capabilities added':
      return [['runtime', 'capabilities'], ['runtime'], ['name']];
    case 'no-new-privileges':
      return runtime('noNewPrivileges');
    case 'published ports':
      return [['ports'], ['name']];
    case 'mounts':
      return [['volumes'], ['name']];
    case 'command':
    case 'entrypoint':
    case 'user':
    case 'workdir':
      return [[what], ['from'], ['dockerfile'], ['name']];
  }
  if (head === 'env') return [['env', tail], ['env'], ['name']];
  if (head === 'label') return [['labels', tail], ['labels'], ['name']];
  if (head === 'secret') return [['secrets'], ['name']];
  if (head === 'file') return [['files'], ['name']];
  return [['version'], ['name']];
}

/**
 * Warnings for an open master copy while drifted copies of its version run, each at the
 * line of the property that differs (the nearest one the file has): "copy 1 of 1.0.0 runs
 * with memory 128m; this version says 64m".
 */
export function driftDiagnostics(
  parsed: Pick<ParsedYaml, 'locate'>,
  mc: Pick<MasterCopy, 'name' | 'version'>,
  drift: readonly CopyDrift[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of drift) {
    if (c.role !== 'copy' || c.name !== mc.name || c.version !== mc.version) continue;
    if (c.state !== 'drifted') continue;
    for (const i of c.items) {
      const where = driftPaths(i.what)
        .map((p) => parsed.locate(p))
        .find((l) => l !== undefined);
      if (!where) continue;
      const who = `copy ${c.index} of ${c.version}`;
      const message = i.what.startsWith('file ')
        ? `${who}: ${i.what.slice(5)} ${i.actual} since it started (a writable root)`
        : `${who} runs with ${i.what} ${i.actual}; this file says ${i.expected}` +
          (i.inPlace ? ' (changed in place)' : '');
      out.push({
        severity: 'warning',
        code: 'drift',
        message: `${message}. Replace Drifted Copies prints fresh ones.`,
        range: where.key ?? where.value,
      });
    }
  }
  return out;
}
