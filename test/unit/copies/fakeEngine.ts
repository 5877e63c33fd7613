// The in-memory EngineClient of the unit tests: it keeps containers (with their logs),
// networks, volumes and images, records requests, sends events, and applies the same label
// rules as the real client (lists only ours, refuses to remove others). For log tails:
// a copy's log is a list of messages, followed while it runs; `stop`, `start` and `destroy`
// change a copy as the engine would and send its event; `goAway` and `comeBack` take the
// whole engine away (every request then fails as unreachable) and back.
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type {
  ContainerDetails,
  CpuSample,
  FilesystemChange,
  ContainerSpec,
  ExecResult,
  RunResult,
  ContainerSummary,
  EngineClient,
  EngineEvent,
  EventFilter,
  ImageDetails,
  ImageSummary,
  LogOptions,
  LogStream,
  NetworkSpec,
  NetworkSummary,
  SecretSpec,
  SecretSummary,
  ServiceDetails,
  ServiceSpec,
  SwarmInfo,
  TaskSummary,
  VolumeSpec,
  VolumeSummary,
} from '../../../src/core/engine/EngineClient';
import {
  EngineRequestError,
  EngineUnreachableError,
  NotManagedError,
} from '../../../src/core/engine/errors';
import {
  LABEL_COPY,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
  MANAGED_VALUE,
  matchesLabels,
  type LabelFilter,
} from '../../../src/core/engine/labels';
import { frame } from '../logs/frames';

/** One message of a copy's log: written to `stream` at `ts` (RFC 3339 with nanoseconds), without its "\n". */
export interface FakeLogMessage {
  stream: 'stdout' | 'stderr';
  ts: string;
  text: string;
}

export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  labels: Record<string, string>;
  running: boolean;
  health?: 'starting' | 'healthy' | 'unhealthy';
  hostPorts: number[];
  /** Its log: followed while it runs. */
  log?: FakeLogMessage[];
  /** Inspect's StartedAt: a new value with every start. */
  startedAt?: string;
  exitCode?: number;
  /** Its log comes raw, not as stdout/stderr frames. */
  tty?: boolean;
}

export class FakeEngine implements EngineClient {
  readonly endpoint = {
    host: 'unix:///fake.sock',
    source: 'default' as const,
    dockerodeOptions: {},
  };
  readonly containers = new Map<string, FakeContainer>();
  readonly networks: NetworkSummary[] = [];
  duplicateNetworks = false;
  readonly volumes: VolumeSummary[] = [];
  readonly images = new Map<string, ImageDetails>();
  readonly calls: string[] = [];
  /** Make the n-th create (0-based) fail with this error. */
  failCreate?: { at: number; error: Error };
  /**
   * Log bodies per container id, sent in these chunks (frames when multiplexed), for tests of the
   * bytes; they win over a container's `log`.
   */
  readonly logBodies = new Map<string, { chunks: Buffer[]; multiplexed: boolean }>();
  /** Every log request's options, in order. */
  readonly logRequests: LogOptions[] = [];
  /** The followed logs of each container, and whether each asked for timestamps. */
  private readonly openLogs = new Map<string, Map<PassThrough, boolean>>();
  private readonly eventLog: EngineEvent[] = [];
  private eventWaiters: (() => void)[] = [];
  private away = false;
  private creates = 0;
  private nextPort = 32768;
  private nextId = 1;

  async ping(): Promise<void> {
    this.reachable();
  }

  // --- the engine as a whole -------------------------------------------------------------

  /** The engine stops: open logs and event streams end; every request fails as unreachable until `comeBack`. */
  goAway(): void {
    this.away = true;
    for (const id of this.openLogs.keys()) this.endLogs(id);
    this.wakeEvents();
  }

  comeBack(): void {
    this.away = false;
  }

  private reachable(): void {
    if (this.away) throw new EngineUnreachableError(this.endpoint.host, 'connect ECONNREFUSED');
  }

  // --- copies and their logs ---------------------------------------------------------------

  /** A copy of `name` (default svc) `version` (default 1.0.0) as printed: our labels; running unless told. */
  addCopy(options: {
    id?: string;
    name?: string;
    version?: string;
    index: number;
    running?: boolean;
    log?: FakeLogMessage[];
    startedAt?: string;
  }): FakeContainer {
    const id = options.id ?? this.newId();
    const name = options.name ?? 'svc';
    const version = options.version ?? '1.0.0';
    const labels = {
      [LABEL_MANAGED]: MANAGED_VALUE,
      [LABEL_NAME]: name,
      [LABEL_VERSION]: version,
      [LABEL_COPY]: String(options.index),
    };
    const running = options.running ?? true;
    const c: FakeContainer = {
      id,
      spec: { image: `${name}:${version}`, name: `${name}-${version}-${options.index}`, labels },
      labels,
      running,
      hostPorts: [],
      log: options.log ?? [],
      startedAt: options.startedAt ?? 'run-1',
      exitCode: running ? 0 : 1,
    };
    this.containers.set(id, c);
    return c;
  }

  /** The copy writes a line: kept in its log and sent to whoever follows it. */
  appendLog(id: string, message: FakeLogMessage): void {
    const c = this.container(id);
    (c.log ??= []).push(message);
    for (const [s, timestamps] of this.openLogs.get(id) ?? [])
      s.write(this.encode(c, message, timestamps));
  }

  /** The copy's process ends (its followed logs end), with a die event. */
  stop(id: string, exitCode = 0): void {
    const c = this.container(id);
    c.running = false;
    c.exitCode = exitCode;
    this.endLogs(id);
    this.emit('die', c);
  }

  /** The copy starts (again), with a start event. */
  start(id: string, startedAt: string): void {
    const c = this.container(id);
    c.running = true;
    c.startedAt = startedAt;
    this.emit('start', c);
  }

  /** The copy is removed (as by `docker rm -f`), with a destroy event. */
  destroy(id: string): void {
    const c = this.container(id);
    c.running = false;
    this.endLogs(id);
    this.containers.delete(id);
    this.emit('destroy', c);
  }

  private container(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`the fake engine has no container ${id}`);
    return c;
  }

  private endLogs(id: string): void {
    for (const s of this.openLogs.get(id)?.keys() ?? []) s.end();
    this.openLogs.delete(id);
  }

  private encode(c: FakeContainer, m: FakeLogMessage, timestamps: boolean): Buffer {
    const text = `${timestamps ? `${m.ts} ` : ''}${m.text}\n`;
    return c.tty ? Buffer.from(text) : frame(m.stream, text);
  }

  private emit(action: string, c: FakeContainer): void {
    this.eventLog.push({
      type: 'container',
      action,
      id: c.id,
      attributes: { ...c.labels, name: c.spec.name ?? c.id, image: c.spec.image },
      time: Date.now(),
    });
    this.wakeEvents();
  }

  private wakeEvents(): void {
    const waiters = this.eventWaiters;
    this.eventWaiters = [];
    for (const w of waiters) w();
  }
  async version() {
    return { version: 'fake', apiVersion: '1.41', os: 'linux', arch: 'amd64' };
  }

  addForeign(name: string, labels: Record<string, string>): string {
    const id = this.newId();
    this.containers.set(id, {
      id,
      spec: { image: 'busybox:stable', name, labels },
      labels,
      running: true,
      hostPorts: [],
    });
    return id;
  }

  private newId(): string {
    return createHash('sha256').update(String(this.nextId++)).digest('hex');
  }

  async listContainers(filter: LabelFilter): Promise<ContainerSummary[]> {
    this.reachable();
    this.calls.push('listContainers');
    return [...this.containers.values()]
      .filter((c) => matchesLabels(c.labels, filter))
      .map((c) => this.summary(c));
  }

  private summary(c: FakeContainer): ContainerSummary {
    return {
      id: c.id,
      name: c.spec.name ?? c.id,
      image: c.spec.image,
      imageId: 'sha256:img',
      status: c.running ? 'running' : 'exited',
      statusText: c.running
        ? `Up 1 second${c.health ? ` (${c.health === 'starting' ? 'health: starting' : c.health})` : ''}`
        : 'Exited (1)',
      labels: c.labels,
      created: Date.now(),
      ports: this.ports(c),
    };
  }

  private ports(c: FakeContainer) {
    return (c.spec.ports ?? []).map((p, i) => ({
      ...p,
      hostPort: c.running ? c.hostPorts[i] : undefined,
    }));
  }

  /** CPU counters: a running container is idle here unless a test moves `cpuNs` (and the machine's `systemNs`). */
  async cpuSample(id: string): Promise<CpuSample | undefined> {
    this.reachable();
    if (!this.containers.get(id)?.running && !this.cpuNs.has(id)) return undefined;
    return { usageNs: this.cpuNs.get(id) ?? 0, systemNs: this.systemNs, onlineCpus: 1 };
  }

  readonly cpuNs = new Map<string, number>();

  /** What a test wrote into a container (nothing, unless it says). */
  readonly changes = new Map<string, FilesystemChange[]>();

  async filesystemChanges(id: string): Promise<FilesystemChange[] | undefined> {
    this.reachable();
    return this.containers.has(id) ? (this.changes.get(id) ?? []) : undefined;
  }
  systemNs = 0;

  async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
    this.reachable();
    const c = this.containers.get(id);
    if (!c) return undefined;
    return {
      id: c.id,
      name: c.spec.name ?? c.id,
      image: c.spec.image,
      imageId: 'sha256:img',
      labels: c.labels,
      status: c.running ? 'running' : 'exited',
      running: c.running,
      exitCode: c.exitCode ?? (c.running ? 0 : 1),
      startedAt: c.startedAt,
      restartCount: 0,
      health: c.health,
      tty: c.tty ?? false,
      env: Object.entries(c.spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      readOnly: c.spec.readOnly ?? true,
      capAdd: c.spec.capAdd ?? [],
      capDrop: c.spec.capDrop ?? ['ALL'],
      securityOpt: c.spec.noNewPrivileges === false ? [] : ['no-new-privileges:true'],
      tmpfs: Object.fromEntries((c.spec.tmpfs ?? []).map((t) => [t, ''])),
      memoryBytes: c.spec.memoryBytes ?? 0,
      nanoCpus: Math.round((c.spec.cpus ?? 0) * 1e9),
      restartPolicy: c.spec.restart ?? 'no',
      privileged: false,
      user: c.spec.user ?? '',
      workdir: c.spec.workdir ?? '',
      cmd: c.spec.command ?? [],
      entrypoint: c.spec.entrypoint ?? [],
      ports: this.ports(c),
      portBindings: (c.spec.ports ?? []).map((p) => ({ ...p })),
      mounts: [
        ...(c.spec.volumes ?? []).map((v) => ({
          type: 'volume',
          name: v.name,
          source: `/var/lib/docker/volumes/${v.name}/_data`,
          destination: v.path,
          readOnly: v.readOnly ?? false,
        })),
        ...(c.spec.binds ?? []).map((b) => ({
          type: 'bind',
          source: b.source,
          destination: b.path,
          readOnly: b.readOnly ?? false,
        })),
      ],
      // By network name, as the engine reports them (copies are attached by id).
      addresses: c.running
        ? {
            [this.networks.find((n) => n.id === c.spec.network)?.name ?? String(c.spec.network)]:
              '10.0.0.2',
          }
        : {},
    };
  }

  async createAndStartContainer(spec: ContainerSpec): Promise<{ id: string }> {
    this.calls.push(`create ${spec.name}`);
    const n = this.creates++;
    if (this.failCreate && this.failCreate.at === n) throw this.failCreate.error;
    if ([...this.containers.values()].some((c) => c.spec.name === spec.name))
      throw new EngineRequestError(
        'create',
        409,
        `Conflict. The container name "/${spec.name}" is already in use`,
      );
    const id = this.newId();
    const hostPorts = (spec.ports ?? []).map((p) => p.hostPort ?? this.nextPort++);
    this.containers.set(id, {
      id,
      spec,
      labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
      running: true,
      hostPorts,
      health: spec.healthCheck ? 'starting' : undefined,
    });
    return { id };
  }

  async stopAndRemoveContainer(id: string, filter: LabelFilter): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (!matchesLabels(c.labels, filter)) throw new NotManagedError('container', id);
    this.calls.push(`remove ${c.spec.name}`);
    this.containers.delete(id);
  }

  async listImages(filter: LabelFilter): Promise<ImageSummary[]> {
    return [...this.images.values()]
      .filter((i) => matchesLabels(i.labels, filter))
      .map((i) => ({ id: i.id, tags: i.tags, labels: i.labels, created: 0, size: 0 }));
  }
  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    return this.images.get(ref);
  }
  async buildImage(): Promise<{ imageId: string }> {
    throw new Error('the fake engine does not build: put the image in `images`');
  }

  async listNetworks(filter: LabelFilter): Promise<NetworkSummary[]> {
    return this.networks.filter((n) => matchesLabels(n.labels, filter));
  }
  async createNetwork(spec: NetworkSpec): Promise<{ id: string }> {
    this.calls.push(`createNetwork ${spec.name}`);
    // The real engine's duplicate check races: `duplicateNetworks` lets two of one name exist, as it can.
    if (!this.duplicateNetworks && this.networks.some((n) => n.name === spec.name))
      throw new EngineRequestError(
        'create network',
        409,
        `network with name ${spec.name} already exists`,
      );
    const id = `net-${spec.name}-${this.networks.length}`;
    this.networks.push({
      id,
      name: spec.name,
      driver: spec.driver ?? 'bridge',
      labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
    });
    return { id };
  }
  async removeNetwork(idOrName: string, filter: LabelFilter): Promise<void> {
    const i = this.networks.findIndex((n) => n.id === idOrName || n.name === idOrName);
    if (i < 0) return;
    if (!matchesLabels(this.networks[i].labels, filter))
      throw new NotManagedError('network', idOrName);
    this.calls.push(`removeNetwork ${this.networks[i].name}`);
    this.networks.splice(i, 1);
  }

  async listVolumes(filter: LabelFilter): Promise<VolumeSummary[]> {
    return this.volumes.filter((v) => matchesLabels(v.labels, filter));
  }
  async createVolume(spec: VolumeSpec): Promise<{ name: string }> {
    // Like the engine: an existing volume is answered as is, whoever made it.
    if (!this.volumes.some((v) => v.name === spec.name))
      this.volumes.push({
        name: spec.name,
        driver: 'local',
        labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
      });
    return { name: spec.name };
  }
  async removeVolume(name: string, filter: LabelFilter): Promise<void> {
    const i = this.volumes.findIndex((v) => v.name === name);
    if (i < 0) return;
    if (!matchesLabels(this.volumes[i].labels, filter)) throw new NotManagedError('volume', name);
    this.volumes.splice(i, 1);
  }

  /** The events of containers that match the filter, from `since` on (replayed) and then as they happen, until the engine goes away. */
  async *events(filter: EventFilter, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    this.reachable();
    let next =
      filter.since === undefined
        ? this.eventLog.length
        : this.eventLog.findIndex((e) => e.time >= (filter.since as number));
    if (next < 0) next = this.eventLog.length;
    const wake = () => this.wakeEvents();
    signal.addEventListener('abort', wake, { once: true });
    try {
      while (!signal.aborted && !this.away) {
        const e = this.eventLog[next];
        if (!e) {
          await new Promise<void>((resolve) => this.eventWaiters.push(resolve));
          continue;
        }
        next++;
        if (filter.types?.length && !filter.types.includes(e.type as never)) continue;
        if (e.type === 'container' && !matchesLabels(e.attributes, filter.labels)) continue;
        yield e;
      }
    } finally {
      signal.removeEventListener('abort', wake);
    }
  }

  async logs(id: string, options: LogOptions, signal: AbortSignal): Promise<LogStream> {
    this.reachable();
    this.logRequests.push(options);
    const stream = new PassThrough();
    signal.addEventListener('abort', () => stream.destroy(), { once: true });
    const body = this.logBodies.get(id);
    const c = this.containers.get(id);
    if (body || !c?.log) {
      for (const chunk of body?.chunks ?? []) stream.write(chunk);
      // Stays open like a followed log of a running container, until aborted.
      return { stream: stream as Readable, multiplexed: body?.multiplexed ?? false };
    }
    let messages = c.log.filter(
      (m) => options.since === undefined || Date.parse(m.ts) / 1000 >= options.since,
    );
    if (options.tail !== undefined)
      messages = messages.slice(Math.max(0, messages.length - options.tail));
    for (const m of messages) stream.write(this.encode(c, m, options.timestamps ?? false));
    // Followed while it runs; a stopped copy's log ends after its last line.
    if (c.running) {
      if (!this.openLogs.has(id)) this.openLogs.set(id, new Map());
      this.openLogs.get(id)?.set(stream, options.timestamps ?? false);
      stream.on('close', () => this.openLogs.get(id)?.delete(stream));
    } else stream.end();
    return { stream: stream as Readable, multiplexed: !c.tty };
  }

  async exec(): Promise<ExecResult> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  /** Every container runToCompletion ran, in order (each was removed again). */
  readonly runs: ContainerSpec[] = [];
  /** What a run answers; default exit 0 with no output. */
  onRun: (spec: ContainerSpec, signal?: AbortSignal) => Promise<RunResult> | RunResult = () => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
  });

  async runToCompletion(
    spec: ContainerSpec,
    _options: { timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<RunResult> {
    this.reachable();
    this.calls.push(`run ${spec.image}`);
    this.runs.push(spec);
    signal?.throwIfAborted();
    return this.onRun(spec, signal);
  }

  /** The files of each image (by the reference it is read with), for readImageFiles. */
  readonly imageFiles = new Map<string, Map<string, Buffer>>();
  /** How many times readImageFiles was asked. */
  imageFileReads = 0;

  async readImageFiles(
    image: string,
    paths: readonly string[],
    options: { maxBytes: number },
  ): Promise<Map<string, Buffer | undefined>> {
    this.reachable();
    this.imageFileReads++;
    if (!this.images.has(image))
      throw new EngineRequestError(`read files of ${image}`, 404, `no such image: ${image}`);
    const files = this.imageFiles.get(image);
    return new Map(
      paths.map((p) => {
        const content = files?.get(p);
        return [p, content && content.length <= options.maxBytes ? content : undefined];
      }),
    );
  }

  // --- the Swarm target ------------------------------------------------------------------

  /** `docker info`'s Swarm part; inactive (no swarm) unless a test says otherwise. */
  swarm: SwarmInfo = {
    state: 'inactive',
    nodeId: '',
    controlAvailable: false,
    nodes: 0,
    managers: 0,
  };
  /** Services by id, each with the spec last sent and its tasks. */
  readonly services = new Map<
    string,
    { details: ServiceDetails; spec?: ServiceSpec; tasks: TaskSummary[] }
  >();
  readonly secrets: (SecretSummary & { value: string })[] = [];
  /** The verdict the next update gets from "Swarm" (default completed). */
  nextUpdate: { state: string; message?: string } = { state: 'completed' };
  /** Images pushed, by reference. */
  readonly pushed: string[] = [];

  /** A manager of a swarm of `nodes` nodes. */
  makeSwarm(nodes = 1): void {
    this.swarm = { state: 'active', nodeId: 'node1', controlAvailable: true, nodes, managers: 1 };
  }

  async swarmInfo(): Promise<SwarmInfo> {
    this.reachable();
    return this.swarm;
  }
  async listServices(filter: LabelFilter): Promise<ServiceDetails[]> {
    return [...this.services.values()]
      .map((s) => s.details)
      .filter((d) => matchesLabels(d.labels, filter));
  }
  async inspectService(idOrName: string): Promise<ServiceDetails | undefined> {
    return [...this.services.values()].find(
      (s) => s.details.id === idOrName || s.details.name === idOrName,
    )?.details;
  }
  /** A service made by somebody else (no labels of ours). */
  addForeignService(name: string): string {
    const id = `svc-${this.nextId++}`;
    const now = new Date().toISOString();
    this.services.set(id, {
      details: {
        id,
        name,
        labels: {},
        version: 1,
        image: 'x',
        replicas: 1,
        ports: [],
        createdAt: now,
        updatedAt: now,
      },
      tasks: [],
    });
    return id;
  }
  private runTasks(id: string, spec: ServiceSpec): TaskSummary[] {
    const now = new Date().toISOString();
    return Array.from({ length: spec.replicas }, (_, i) => ({
      id: `task-${this.nextId++}`,
      serviceId: id,
      slot: i + 1,
      nodeId: 'node1',
      desiredState: 'running',
      state: 'running',
      message: 'started',
      image: spec.image,
      labels: { ...spec.containerLabels, [LABEL_MANAGED]: MANAGED_VALUE },
      ports: [],
      createdAt: now,
      updatedAt: now,
    }));
  }
  async createService(spec: ServiceSpec): Promise<{ id: string }> {
    this.calls.push(`createService ${spec.name}`);
    if ([...this.services.values()].some((s) => s.details.name === spec.name))
      throw new EngineRequestError('create service', 409, `service ${spec.name} already exists`);
    const id = `svc-${this.nextId++}`;
    const now = new Date().toISOString();
    this.services.set(id, {
      details: {
        id,
        name: spec.name,
        labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
        version: 1,
        image: spec.image,
        replicas: spec.replicas,
        ports: spec.ports,
        createdAt: now,
        updatedAt: now,
      },
      spec,
      tasks: this.runTasks(id, spec),
    });
    return { id };
  }
  private ownService(id: string, filter: LabelFilter) {
    const s = [...this.services.values()].find((x) => x.details.id === id || x.details.name === id);
    if (!s) throw new EngineRequestError('find service', 404, `no such service: ${id}`);
    if (!matchesLabels(s.details.labels, filter)) throw new NotManagedError('service', id);
    return s;
  }
  async updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    filter: LabelFilter,
  ): Promise<void> {
    const s = this.ownService(id, filter);
    this.calls.push(`updateService ${spec.name} ${spec.image}`);
    if (version !== s.details.version)
      throw new EngineRequestError('update service', 500, 'update out of sequence');
    const now = new Date(Date.now() + 1).toISOString();
    const verdict = this.nextUpdate;
    this.nextUpdate = { state: 'completed' };
    const rolledBack = verdict.state !== 'completed';
    if (!rolledBack) {
      for (const t of s.tasks) t.desiredState = 'shutdown';
      s.tasks.push(...this.runTasks(s.details.id, spec));
      s.spec = spec;
    }
    s.details = {
      ...s.details,
      version: s.details.version + 1,
      updatedAt: now,
      ...(rolledBack
        ? {}
        : {
            labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
            image: spec.image,
            replicas: spec.replicas,
          }),
      updateStatus: { ...verdict, startedAt: now },
    };
  }
  async scaleService(id: string, replicas: number, filter: LabelFilter): Promise<void> {
    const s = this.ownService(id, filter);
    this.calls.push(`scaleService ${s.details.name} ${replicas}`);
    const running = s.tasks.filter((t) => t.desiredState === 'running');
    for (const t of running.slice(replicas)) t.desiredState = 'shutdown';
    if (replicas > running.length && s.spec)
      s.tasks.push(
        ...this.runTasks(s.details.id, { ...s.spec, replicas: replicas - running.length }).map(
          (t, i) => ({
            ...t,
            slot: running.length + i + 1,
          }),
        ),
      );
    s.details = { ...s.details, replicas, version: s.details.version + 1 };
  }
  async rollbackService(id: string, filter: LabelFilter): Promise<void> {
    this.ownService(id, filter);
    this.calls.push(`rollbackService ${id}`);
  }
  async removeService(id: string, filter: LabelFilter): Promise<void> {
    const s = [...this.services.values()].find((x) => x.details.id === id || x.details.name === id);
    if (!s) return;
    if (!matchesLabels(s.details.labels, filter)) throw new NotManagedError('service', id);
    this.calls.push(`removeService ${s.details.name}`);
    this.services.delete(s.details.id);
  }
  async listTasks(serviceId: string): Promise<TaskSummary[]> {
    return this.ownService(serviceId, {}).tasks;
  }
  async serviceLogs(id: string): Promise<LogStream> {
    this.ownService(id, {});
    const stream = new PassThrough();
    stream.end();
    return { stream, multiplexed: true };
  }
  async listSecrets(filter: LabelFilter): Promise<SecretSummary[]> {
    return this.secrets
      .filter((s) => matchesLabels(s.labels, filter))
      .map(({ id, name, labels }) => ({ id, name, labels }));
  }
  async createSecret(spec: SecretSpec): Promise<{ id: string }> {
    if (this.secrets.some((s) => s.name === spec.name))
      throw new EngineRequestError('create secret', 409, `secret ${spec.name} already exists`);
    const id = `secret-${this.nextId++}`;
    this.calls.push(`createSecret ${spec.name}`);
    this.secrets.push({
      id,
      name: spec.name,
      value: spec.value,
      labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
    });
    return { id };
  }
  async removeSecret(id: string, filter: LabelFilter): Promise<void> {
    const i = this.secrets.findIndex((s) => s.id === id);
    if (i < 0) return;
    if (!matchesLabels(this.secrets[i].labels, filter)) throw new NotManagedError('secret', id);
    const used = [...this.services.values()].some((s) => s.spec?.secrets?.some((x) => x.id === id));
    if (used) throw new EngineRequestError('remove secret', 400, `secret ${id} is in use`);
    this.calls.push(`removeSecret ${this.secrets[i].name}`);
    this.secrets.splice(i, 1);
  }
  async tagImage(image: string, repo: string, tag: string): Promise<void> {
    const info = this.images.get(image);
    if (!info || !matchesLabels(info.labels, {})) throw new NotManagedError('image', image);
    this.images.set(`${repo}:${tag}`, { ...info, tags: [...info.tags, `${repo}:${tag}`] });
  }
  async pushImage(ref: string): Promise<void> {
    this.pushed.push(ref);
  }
}
