// An in-memory EngineClient for unit tests of printing, scaling and disposing: it keeps
// containers, networks, volumes and images, records every request, and applies the same
// label rules as the real client (lists only ours, refuses to remove others).
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type {
  ContainerDetails,
  ContainerSpec,
  ExecResult,
  ContainerSummary,
  EngineClient,
  ImageDetails,
  ImageSummary,
  LogStream,
  NetworkSpec,
  NetworkSummary,
  VolumeSpec,
  VolumeSummary,
} from '../../../src/core/engine/EngineClient';
import { EngineRequestError, NotManagedError } from '../../../src/core/engine/errors';
import { LABEL_MANAGED, MANAGED_VALUE, matchesLabels, type LabelFilter } from '../../../src/core/engine/labels';

export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  labels: Record<string, string>;
  running: boolean;
  health?: 'starting' | 'healthy' | 'unhealthy';
  hostPorts: number[];
}

export class FakeEngine implements EngineClient {
  readonly endpoint = { host: 'unix:///fake.sock', source: 'default' as const, dockerodeOptions: {} };
  readonly containers = new Map<string, FakeContainer>();
  readonly networks: NetworkSummary[] = [];
  readonly volumes: VolumeSummary[] = [];
  readonly images = new Map<string, ImageDetails>();
  readonly calls: string[] = [];
  /** Make the n-th create (0-based) fail with this error. */
  failCreate?: { at: number; error: Error };
  /** Log text per container id (unframed, as with a TTY). */
  readonly logText = new Map<string, string>();
  /** Log bodies per container id, sent in these chunks (frames when multiplexed); they win over logText. */
  readonly logBodies = new Map<string, { chunks: Buffer[]; multiplexed: boolean }>();
  private creates = 0;
  private nextPort = 32768;
  private nextId = 1;

  async ping(): Promise<void> {}
  async version() {
    return { version: 'fake', apiVersion: '1.41', os: 'linux', arch: 'amd64' };
  }

  addForeign(name: string, labels: Record<string, string>): string {
    const id = this.newId();
    this.containers.set(id, { id, spec: { image: 'busybox:stable', name, labels }, labels, running: true, hostPorts: [] });
    return id;
  }

  private newId(): string {
    return createHash('sha256').update(String(this.nextId++)).digest('hex');
  }

  async listContainers(filter: LabelFilter): Promise<ContainerSummary[]> {
    this.calls.push('listContainers');
    return [...this.containers.values()].filter((c) => matchesLabels(c.labels, filter)).map((c) => this.summary(c));
  }

  private summary(c: FakeContainer): ContainerSummary {
    return {
      id: c.id,
      name: c.spec.name ?? c.id,
      image: c.spec.image,
      imageId: 'sha256:img',
      status: c.running ? 'running' : 'exited',
      statusText: c.running ? `Up 1 second${c.health ? ` (${c.health === 'starting' ? 'health: starting' : c.health})` : ''}` : 'Exited (1)',
      labels: c.labels,
      created: Date.now(),
      ports: this.ports(c),
    };
  }

  private ports(c: FakeContainer) {
    return (c.spec.ports ?? []).map((p, i) => ({ ...p, hostPort: c.running ? c.hostPorts[i] : undefined }));
  }

  async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
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
      exitCode: c.running ? 0 : 1,
      restartCount: 0,
      health: c.health,
      tty: true,
      env: Object.entries(c.spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      readOnly: c.spec.readOnly ?? true,
      capAdd: c.spec.capAdd ?? [],
      capDrop: c.spec.capDrop ?? ['ALL'],
      securityOpt: c.spec.noNewPrivileges === false ? [] : ['no-new-privileges:true'],
      tmpfs: Object.fromEntries((c.spec.tmpfs ?? []).map((t) => [t, ''])),
      ports: this.ports(c),
      addresses: c.running ? { [String(c.spec.network)]: '10.0.0.2' } : {},
    };
  }

  async createAndStartContainer(spec: ContainerSpec): Promise<{ id: string }> {
    this.calls.push(`create ${spec.name}`);
    const n = this.creates++;
    if (this.failCreate && this.failCreate.at === n) throw this.failCreate.error;
    if ([...this.containers.values()].some((c) => c.spec.name === spec.name)) throw new EngineRequestError('create', 409, `Conflict. The container name "/${spec.name}" is already in use`);
    const id = this.newId();
    const hostPorts = (spec.ports ?? []).map((p) => p.hostPort ?? this.nextPort++);
    this.containers.set(id, { id, spec, labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE }, running: true, hostPorts, health: spec.healthCheck ? 'starting' : undefined });
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
    return [...this.images.values()].filter((i) => matchesLabels(i.labels, filter)).map((i) => ({ id: i.id, tags: i.tags, labels: i.labels, created: 0, size: 0 }));
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
    if (this.networks.some((n) => n.name === spec.name)) throw new EngineRequestError('create network', 409, `network with name ${spec.name} already exists`);
    const id = `net-${spec.name}`;
    this.networks.push({ id, name: spec.name, driver: 'bridge', labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE } });
    return { id };
  }
  async removeNetwork(idOrName: string, filter: LabelFilter): Promise<void> {
    const i = this.networks.findIndex((n) => n.id === idOrName || n.name === idOrName);
    if (i < 0) return;
    if (!matchesLabels(this.networks[i].labels, filter)) throw new NotManagedError('network', idOrName);
    this.calls.push(`removeNetwork ${this.networks[i].name}`);
    this.networks.splice(i, 1);
  }

  async listVolumes(filter: LabelFilter): Promise<VolumeSummary[]> {
    return this.volumes.filter((v) => matchesLabels(v.labels, filter));
  }
  async createVolume(spec: VolumeSpec): Promise<{ name: string }> {
    // Like the engine: an existing volume is answered as is, whoever made it.
    if (!this.volumes.some((v) => v.name === spec.name)) this.volumes.push({ name: spec.name, driver: 'local', labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE } });
    return { name: spec.name };
  }
  async removeVolume(name: string, filter: LabelFilter): Promise<void> {
    const i = this.volumes.findIndex((v) => v.name === name);
    if (i < 0) return;
    if (!matchesLabels(this.volumes[i].labels, filter)) throw new NotManagedError('volume', name);
    this.volumes.splice(i, 1);
  }

  // eslint-disable-next-line require-yield
  async *events(): AsyncGenerator<never> {
    return;
  }

  async logs(id: string, _options: unknown, signal: AbortSignal): Promise<LogStream> {
    const stream = new PassThrough();
    const body = this.logBodies.get(id);
    for (const chunk of body?.chunks ?? [Buffer.from(this.logText.get(id) ?? '')]) stream.write(chunk);
    // Stays open like a followed log of a running container, until aborted.
    signal.addEventListener('abort', () => stream.destroy(), { once: true });
    return { stream: stream as Readable, multiplexed: body?.multiplexed ?? false };
  }

  async exec(): Promise<ExecResult> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}
