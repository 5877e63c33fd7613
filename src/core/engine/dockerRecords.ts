// The engine's JSON records, read in one place: one schema and one normaliser per record
// (container summary and details, image, network, volume, event, version). Each schema
// names only what a normaliser reads, so anything else may change freely; what it reads
// is checked, and a record that does not fit fails with MalformedRecordError naming the
// field, instead of travelling on as `undefined` or a wrong type. Docker and Podman
// (its Docker-compatible API) both fit: test/unit/engine/fixtures/ holds real answers of each.
// The schemas are zod's "mini" build: tree-shakable, ~20 KB in the bundle.
import * as z from 'zod/mini';
import type {
  ContainerDetails,
  ContainerStatus,
  ContainerSummary,
  EngineEvent,
  EngineVersion,
  ImageDetails,
  ImageSummary,
  NetworkSummary,
  PublishedPort,
  VolumeSummary,
} from './EngineClient';

const NS_PER_MS = 1_000_000;

/** The engine answered with a record this client cannot read. */
export class MalformedRecordError extends Error {
  override readonly name = 'MalformedRecordError';
  constructor(
    /** "container summary", "image", … */
    readonly record: string,
    /** One per field, e.g. "State.Running: expected boolean, got string". */
    readonly problems: string[],
  ) {
    super(
      `The engine sent a ${record} that Master Copy cannot read (${problems.join('; ')}). ` +
        `Is it a Docker Engine (API 1.41 or later) or a Podman 4 API?`,
    );
  }
}

// Docker sends null for empty maps and lists in places (Labels, Ports, Env, CapAdd…).
const labels = z.nullish(z.record(z.string(), z.string()));
const strings = z.nullish(z.array(z.string()));
const STATUSES = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
] as const satisfies readonly ContainerStatus[];
const status = z.enum(STATUSES);

function parse<S extends z.ZodMiniType>(record: string, schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new MalformedRecordError(
    record,
    result.error.issues.slice(0, 5).map((i) => describeIssue(i, raw)),
  );
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const at =
    issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('') || 'the record';
  let value: unknown = raw;
  for (const p of issue.path)
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<PropertyKey, unknown>)[p]
        : undefined;
  const got =
    value === undefined
      ? 'nothing'
      : value === null
        ? 'null'
        : Array.isArray(value)
          ? 'a list'
          : typeof value === 'string'
            ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
            : typeof value;
  switch (issue.code) {
    case 'invalid_type':
      return `${at}: expected ${issue.expected}, got ${got}`;
    case 'invalid_value':
      return `${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`;
    default:
      return `${at}: ${issue.message}`;
  }
}

// --- containers ------------------------------------------------------------------------

const listedPort = z.object({
  PrivatePort: z.number(),
  PublicPort: z.optional(z.number()),
  Type: z.string(),
  IP: z.optional(z.string()),
});

const containerSummarySchema = z.object({
  Id: z.string(),
  Names: strings,
  Image: z.string(),
  ImageID: z.string(),
  State: status,
  Status: z.string(),
  Labels: labels,
  Created: z.number(),
  Ports: z.nullish(z.array(listedPort)),
});

/** One entry of GET /containers/json. */
export function containerSummary(raw: unknown): ContainerSummary {
  const c = parse('container summary', containerSummarySchema, raw);
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: familiarImageName(c.Image),
    imageId: c.ImageID,
    status: c.State,
    statusText: c.Status,
    labels: c.Labels ?? {},
    created: c.Created * 1000,
    ports: (c.Ports ?? []).map((p) => ({
      containerPort: p.PrivatePort,
      protocol: protocol(p.Type),
      hostIp: p.IP,
      hostPort: p.PublicPort,
    })),
  };
}

const binding = z.object({ HostIp: z.string(), HostPort: z.string() });

const containerDetailsSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Image: z.string(),
  RestartCount: z.number(),
  Config: z.object({
    Image: z.string(),
    Labels: labels,
    Tty: z.boolean(),
    Env: strings,
    User: z.optional(z.string()),
    WorkingDir: z.optional(z.string()),
    Cmd: strings,
    Entrypoint: z.nullish(z.union([z.array(z.string()), z.string()])),
  }),
  State: z.object({
    Status: status,
    Running: z.boolean(),
    ExitCode: z.number(),
    StartedAt: z.optional(z.string()),
    FinishedAt: z.optional(z.string()),
    Health: z.nullish(z.object({ Status: z.string() })),
  }),
  HostConfig: z.object({
    ReadonlyRootfs: z.optional(z.boolean()),
    CapAdd: strings,
    CapDrop: strings,
    SecurityOpt: strings,
    Tmpfs: labels,
    Memory: z.optional(z.number()),
    NanoCpus: z.optional(z.number()),
    RestartPolicy: z.nullish(z.object({ Name: z.optional(z.string()) })),
    Privileged: z.optional(z.boolean()),
    PortBindings: z.nullish(z.record(z.string(), z.nullable(z.array(binding)))),
  }),
  Mounts: z.nullish(
    z.array(
      z.object({
        Type: z.optional(z.string()),
        Name: z.optional(z.string()),
        Source: z.optional(z.string()),
        Destination: z.string(),
        RW: z.optional(z.boolean()),
      }),
    ),
  ),
  NetworkSettings: z.object({
    Ports: z.nullish(z.record(z.string(), z.nullable(z.array(binding)))),
    Networks: z.nullish(z.record(z.string(), z.object({ IPAddress: z.optional(z.string()) }))),
  }),
});

/** GET /containers/{id}/json. */
export function containerDetails(raw: unknown): ContainerDetails {
  const info = parse('container', containerDetailsSchema, raw);
  const host = info.HostConfig;
  const health = info.State.Health?.Status;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: familiarImageName(info.Config.Image),
    imageId: info.Image,
    labels: info.Config.Labels ?? {},
    status: info.State.Status,
    running: info.State.Running,
    exitCode: info.State.ExitCode,
    startedAt: validTime(info.State.StartedAt),
    finishedAt: validTime(info.State.FinishedAt),
    restartCount: info.RestartCount,
    health:
      health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : undefined,
    tty: info.Config.Tty,
    env: info.Config.Env ?? [],
    readOnly: host.ReadonlyRootfs === true,
    capAdd: host.CapAdd ?? [],
    capDrop: host.CapDrop ?? [],
    securityOpt: host.SecurityOpt ?? [],
    tmpfs: host.Tmpfs ?? {},
    memoryBytes: host.Memory ?? 0,
    nanoCpus: host.NanoCpus ?? 0,
    restartPolicy: host.RestartPolicy?.Name || 'no',
    privileged: host.Privileged === true,
    user: info.Config.User ?? '',
    workdir: info.Config.WorkingDir ?? '',
    cmd: info.Config.Cmd ?? [],
    entrypoint:
      typeof info.Config.Entrypoint === 'string'
        ? [info.Config.Entrypoint]
        : (info.Config.Entrypoint ?? []),
    ports: publishedPorts(info.NetworkSettings.Ports ?? {}),
    portBindings: publishedPorts(host.PortBindings ?? {}),
    mounts: (info.Mounts ?? []).map((m) => ({
      type: m.Type ?? 'volume',
      name: m.Name || undefined,
      source: m.Source ?? '',
      destination: m.Destination,
      readOnly: m.RW === false,
    })),
    addresses: Object.fromEntries(
      Object.entries(info.NetworkSettings.Networks ?? {})
        .filter(([, n]) => n.IPAddress !== undefined && n.IPAddress !== '')
        .map(([name, n]) => [name, n.IPAddress as string]),
    ),
  };
}

function publishedPorts(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null>,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto] = key.split('/');
    const base = { containerPort: Number(port), protocol: protocol(proto) };
    if (!bindings?.length) out.push(base);
    else
      for (const b of bindings)
        out.push({
          ...base,
          hostIp: b.HostIp || undefined,
          hostPort: b.HostPort ? Number(b.HostPort) : undefined,
        });
  }
  return out;
}

/**
 * An image reference as Docker names it: Podman lists `docker.io/library/NAME:VERSION` (and
 * `docker.io/ORG/NAME`) where Docker says `NAME:VERSION`, so the tag we built was not found
 * under its own name (ps said "image changed" for every copy). Other registries stay as they are.
 */
export function familiarImageName(ref: string): string {
  const m = /^docker\.io\/(?:library\/)?([^/].*)$/.exec(ref);
  // "docker.io/library/a/b" is not a familiar name of anything: left as it is.
  return m && !(ref.startsWith('docker.io/library/') && m[1].includes('/')) ? m[1] : ref;
}

function protocol(name: string | undefined): 'tcp' | 'udp' {
  return name === 'udp' ? 'udp' : 'tcp';
}

/** The engine's zero time ("0001-01-01T00:00:00Z") means "never". */
function validTime(t: string | undefined): string | undefined {
  return t && !t.startsWith('0001-') ? t : undefined;
}

// --- images, networks, volumes ---------------------------------------------------------

const imageSummarySchema = z.object({
  Id: z.string(),
  RepoTags: strings,
  Labels: labels,
  Created: z.number(),
  Size: z.number(),
});

/** One entry of GET /images/json. */
export function imageSummary(raw: unknown): ImageSummary {
  const i = parse('image summary', imageSummarySchema, raw);
  return {
    id: i.Id,
    tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').map(familiarImageName),
    labels: i.Labels ?? {},
    created: i.Created * 1000,
    size: i.Size,
  };
}

const imageDetailsSchema = z.object({
  Id: z.string(),
  RepoTags: strings,
  Config: z.nullish(
    z.object({
      Labels: labels,
      Env: strings,
      User: z.optional(z.string()),
      WorkingDir: z.optional(z.string()),
      Cmd: strings,
      Entrypoint: z.nullish(z.union([z.array(z.string()), z.string()])),
      Volumes: z.nullish(z.record(z.string(), z.unknown())),
    }),
  ),
  Created: z.string(),
  Size: z.number(),
});

/** GET /images/{name}/json. */
export function imageDetails(raw: unknown): ImageDetails {
  const i = parse('image', imageDetailsSchema, raw);
  return {
    id: i.Id,
    tags: (i.RepoTags ?? []).map(familiarImageName),
    labels: i.Config?.Labels ?? {},
    config: {
      env: i.Config?.Env ?? [],
      user: i.Config?.User ?? '',
      workdir: i.Config?.WorkingDir ?? '',
      cmd: i.Config?.Cmd ?? [],
      entrypoint:
        typeof i.Config?.Entrypoint === 'string'
          ? [i.Config.Entrypoint]
          : (i.Config?.Entrypoint ?? []),
      volumes: Object.keys(i.Config?.Volumes ?? {}),
    },
    created: i.Created,
    size: i.Size,
  };
}

const networkSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Driver: z.string(),
  Labels: labels,
  Created: z.optional(z.string()),
});

/** One entry of GET /networks, or GET /networks/{id}. */
export function networkSummary(raw: unknown): NetworkSummary {
  const n = parse('network', networkSchema, raw);
  return { id: n.Id, name: n.Name, driver: n.Driver, labels: n.Labels ?? {}, created: n.Created };
}

const volumeSchema = z.object({ Name: z.string(), Driver: z.string(), Labels: labels });

/** GET /volumes/{name}, or one entry of the list. */
export function volumeSummary(raw: unknown): VolumeSummary {
  const v = parse('volume', volumeSchema, raw);
  return { name: v.Name, driver: v.Driver, labels: v.Labels ?? {} };
}

const volumeListSchema = z.object({ Volumes: z.nullish(z.array(z.unknown())) });

/** GET /volumes: {Volumes, Warnings}. */
export function volumeList(raw: unknown): VolumeSummary[] {
  return (parse('volume list', volumeListSchema, raw).Volumes ?? []).map(volumeSummary);
}

// --- events, version -------------------------------------------------------------------

const eventSchema = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.nullish(z.object({ ID: z.optional(z.string()), Attributes: labels })),
  time: z.optional(z.number()),
  timeNano: z.optional(z.number()),
  // Podman's health event: Action "health_status" and the status apart.
  HealthStatus: z.optional(z.string()),
});

/**
 * One line of GET /events. Undefined for a line in the engine's old form (status, id,
 * from, without Type and Action): not an object event this client follows.
 */
export function engineEvent(raw: unknown, now: () => number = Date.now): EngineEvent | undefined {
  const r = raw as { Type?: unknown; Action?: unknown } | null;
  if (r !== null && typeof r === 'object' && r.Type === undefined && r.Action === undefined)
    return undefined;
  const e = parse('event', eventSchema, raw);
  return {
    type: e.Type,
    // Docker's form, "health_status: healthy", for both engines.
    action:
      e.Action === 'health_status' && e.HealthStatus
        ? `health_status: ${e.HealthStatus}`
        : e.Action,
    id: e.Actor?.ID ?? '',
    attributes: e.Actor?.Attributes ?? {},
    time:
      e.timeNano !== undefined
        ? Math.floor(e.timeNano / NS_PER_MS)
        : e.time !== undefined
          ? e.time * 1000
          : now(),
  };
}

const versionSchema = z.object({
  Version: z.string(),
  ApiVersion: z.string(),
  Os: z.string(),
  Arch: z.string(),
});

/** GET /version. */
export function engineVersion(raw: unknown): EngineVersion {
  const v = parse('version', versionSchema, raw);
  return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
}
