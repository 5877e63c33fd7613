// What Master Copy needs from a container engine, and nothing more. The product talks
// to this interface only; DockerodeEngineClient implements it over the Docker API.
// Safety rule: every list takes a label filter and only ever returns objects labelled
// `io.mastercopy.managed=true`; every remove refuses (NotManagedError) an object that
// does not carry that label and the filter, so a user's other objects are never touched.
import type { Readable } from 'node:stream';
import type { LabelFilter } from './labels';
import type { ResolvedEngineHost } from './hostResolution';

/** A path in a container's root filesystem that is not as the image made it. */
export interface FilesystemChange {
  path: string;
  kind: 'changed' | 'added' | 'deleted';
}

/** A container's CPU counters at one moment. */
export interface CpuSample {
  /** CPU time the container used, ns. */
  usageNs: number;
  /** CPU time of the whole machine, ns (every CPU counted). */
  systemNs: number;
  onlineCpus: number;
}

/** CPU percent between two samples (100 = one core busy), or undefined when it cannot be told. */
export function cpuPercent(before: CpuSample, after: CpuSample): number | undefined {
  const used = after.usageNs - before.usageNs;
  const system = after.systemNs - before.systemNs;
  if (!(system > 0) || used < 0) return undefined;
  return (used / system) * after.onlineCpus * 100;
}

export interface EngineVersion {
  /** Engine release, e.g. "20.10.24+dfsg1". */
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
}

export interface PublishedPort {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp?: string;
  /** Absent until the container runs when the engine picks the port. */
  hostPort?: number;
}

export type ContainerStatus =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  /** Without the leading slash. */
  name: string;
  image: string;
  imageId: string;
  status: ContainerStatus;
  /** The engine's human text, e.g. "Up 3 minutes (healthy)". */
  statusText: string;
  labels: Record<string, string>;
  /** Milliseconds since the epoch. */
  created: number;
  ports: PublishedPort[];
}

export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  status: ContainerStatus;
  running: boolean;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  /** Only when the container has a health check. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** Logs come as one raw stream (true) or stdout/stderr frames (false). */
  tty: boolean;
  env: string[];
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  tmpfs: Record<string, string>;
  /** Memory limit in bytes; 0: none. */
  memoryBytes: number;
  /** CPU limit in billionths of a CPU; 0: none. */
  nanoCpus: number;
  /** "no", "on-failure", "always", "unless-stopped". */
  restartPolicy: string;
  privileged: boolean;
  /** As configured ('' when the image's). */
  user: string;
  workdir: string;
  cmd: string[];
  entrypoint: string[];
  /** Published while it runs (NetworkSettings); empty when stopped. */
  ports: PublishedPort[];
  /** As configured (HostConfig.PortBindings): there whether it runs or not. */
  portBindings: PublishedPort[];
  /** Volumes and bind mounts (not tmpfs). */
  mounts: ContainerMount[];
  /** The container's address on each network it is attached to, by network name. */
  addresses: Record<string, string>;
}

export interface ContainerMount {
  /** "volume", "bind", … */
  type: string;
  /** A volume's name. */
  name?: string;
  source: string;
  destination: string;
  readOnly: boolean;
}

export interface HealthCheckSpec {
  /** Exec form run inside the container; the CMD / CMD-SHELL prefix is added for you. */
  command: string[] | string;
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

/**
 * A container to create and start. The hardening is on unless switched off:
 * read-only root filesystem, all capabilities dropped, no-new-privileges.
 */
export interface ContainerSpec {
  image: string;
  name?: string;
  /** Our labels; io.mastercopy.managed=true is always added. */
  labels: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  ports?: PublishedPort[];
  readOnly?: boolean;
  tmpfs?: string[];
  capDrop?: string[];
  capAdd?: string[];
  noNewPrivileges?: boolean;
  memoryBytes?: number;
  /** CPUs as a fraction, e.g. 0.5. */
  cpus?: number;
  restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  volumes?: { name: string; path: string; readOnly?: boolean }[];
  /** Host paths mounted into the container (the keeper's engine socket). */
  binds?: { source: string; path: string; readOnly?: boolean }[];
  /** "bridge" (default), "none", or a network name. */
  network?: string;
  healthCheck?: HealthCheckSpec;
  /**
   * Run a tiny init as PID 1 (the engine's docker-init) that forwards signals and reaps
   * zombies: most programs ignore SIGTERM as PID 1, so a stop would always wait for its
   * timeout and then kill.
   */
  init?: boolean;
}

export interface ImageSummary {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  created: number;
  size: number;
}

export interface ImageDetails {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  /** What a container of this image runs with unless told otherwise (a real engine always says). */
  config?: ImageConfig;
  created: string;
  size: number;
}

export interface ImageConfig {
  env: string[];
  user: string;
  workdir: string;
  cmd: string[];
  entrypoint: string[];
  /** Paths declared VOLUME (anonymous volumes of every container). */
  volumes: string[];
}

export interface BuildOptions {
  /** NAME:VERSION. */
  tag: string;
  /** Our labels; io.mastercopy.managed=true is always added. */
  labels: Record<string, string>;
  buildArgs?: Record<string, string>;
  /** Path of the Dockerfile inside the context; default "Dockerfile". */
  dockerfile?: string;
}

/** One line of build output (a step, a command's output), or the image id at the end. */
export type BuildProgress = { kind: 'output'; text: string } | { kind: 'built'; imageId: string };

export interface NetworkSummary {
  id: string;
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** When the engine created it (RFC 3339, nanoseconds), where it says. */
  created?: string;
}
export interface NetworkSpec {
  name: string;
  labels: Record<string, string>;
  driver?: string;
  internal?: boolean;
  /** Standalone containers may join it too (an overlay network of the Swarm target). */
  attachable?: boolean;
}

export interface VolumeSummary {
  name: string;
  driver: string;
  labels: Record<string, string>;
}
export interface VolumeSpec {
  name: string;
  labels: Record<string, string>;
}

export type EngineObjectType = 'container' | 'image' | 'network' | 'volume';

/** Whether the engine is a member of a swarm, and what it can do there. */
export interface SwarmInfo {
  /** "inactive" (no swarm), "pending", "active", "error", "locked". */
  state: string;
  nodeId: string;
  /** A manager: services can be created through it. */
  controlAvailable: boolean;
  nodes: number;
  managers: number;
}

/** A secret of the swarm (its value is never read back: the engine does not tell it). */
export interface SecretSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
}
export interface SecretSpec {
  name: string;
  /** Our labels; io.mastercopy.managed=true is always added. */
  labels: Record<string, string>;
  value: string;
}

/** How Swarm replaces tasks (an update, and its rollback). */
export interface ServiceUpdatePolicy {
  parallelism: number;
  order: 'start-first' | 'stop-first';
  failureAction: 'rollback' | 'pause' | 'continue';
  /** How long a new task is watched for failure before the next one is updated. */
  monitorMs: number;
  /** Between two batches. */
  delayMs?: number;
}

export interface ServicePort {
  /** The port inside the task. */
  target: number;
  /** The port on the nodes; undefined: the engine picks one (host mode: one per task). */
  published?: number;
  protocol: 'tcp' | 'udp';
  /** `ingress`: every node answers on it (the routing mesh); `host`: only a node that runs a task, on its own port. */
  mode: 'ingress' | 'host';
}

/**
 * A replicated Swarm service: its tasks' containers are hardened like a copy (read-only
 * root, capabilities dropped, no-new-privileges, an init) unless switched off.
 */
export interface ServiceSpec {
  name: string;
  /** Our labels on the service; io.mastercopy.managed=true is always added. */
  labels: Record<string, string>;
  image: string;
  replicas: number;
  /** Labels of each task's container; io.mastercopy.managed=true is always added. */
  containerLabels: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  readOnly?: boolean;
  tmpfs?: string[];
  capDrop?: string[];
  capAdd?: string[];
  noNewPrivileges?: boolean;
  init?: boolean;
  memoryBytes?: number;
  cpus?: number;
  restart: { condition: 'none' | 'on-failure' | 'any'; delayMs?: number };
  healthCheck?: HealthCheckSpec;
  /** Swarm secrets, each as the file /run/secrets/FILE in the task. */
  secrets?: { id: string; name: string; file: string }[];
  volumes?: { name: string; path: string; readOnly?: boolean }[];
  /** Network ids. */
  networks: string[];
  ports: ServicePort[];
  update: ServiceUpdatePolicy;
  rollback: ServiceUpdatePolicy;
}

/** A rolling update's progress, as Swarm reports it. */
export interface ServiceUpdateStatus {
  /** "updating", "paused", "completed", "rollback_started", "rollback_paused", "rollback_completed". */
  state: string;
  message?: string;
  /** RFC 3339: tells this update's status from the one before it. */
  startedAt?: string;
}

export interface ServiceDetails {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** The object version an update must name (optimistic concurrency). */
  version: number;
  image: string;
  replicas: number;
  updateStatus?: ServiceUpdateStatus;
  /** The ports the service publishes as the engine assigned them. */
  ports: ServicePort[];
  /** RFC 3339. */
  createdAt: string;
  updatedAt: string;
}

export interface TaskSummary {
  id: string;
  serviceId: string;
  /** The replica's slot (1-based): a copy's index on the Swarm target. */
  slot: number;
  nodeId: string;
  /** What Swarm wants: "running", "shutdown", … */
  desiredState: string;
  /** Where it is: "new", "pending", "starting", "running", "failed", "shutdown", "rejected", … */
  state: string;
  message: string;
  error?: string;
  containerId?: string;
  image: string;
  /** Its container's labels, as the service's spec gave them. */
  labels: Record<string, string>;
  /** Ports a host-mode service published for this task. */
  ports: ServicePort[];
  /** RFC 3339. */
  createdAt: string;
  updatedAt: string;
}

export interface EngineEvent {
  type: EngineObjectType | string;
  /** "create", "start", "die", "destroy", "health_status: healthy", … */
  action: string;
  /** Container/image id, network id, volume name. */
  id: string;
  /** The object's attributes: for containers their labels plus name and image. */
  attributes: Record<string, string>;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface EventFilter {
  labels: LabelFilter;
  types?: EngineObjectType[];
  /**
   * Network events (connect, disconnect) carry the network's name and the container's id,
   * never labels, so a label filter lets none through: with `networkEvents` the stream is
   * of network events, unfiltered, and the caller judges each by its container.
   */
  networkEvents?: boolean;
  /**
   * Also replay the engine's recent events from this time on (ms since the epoch):
   * closes the gap between subscribing and acting, or across a reconnect.
   */
  since?: number;
}

export interface LogOptions {
  /** Lines from the end to start with; default all. */
  tail?: number;
  /** Only lines after this time (seconds since the epoch). */
  since?: number;
  timestamps?: boolean;
  /**
   * The container as the caller has just inspected it: spares the client its own
   * inspection (one engine round trip less before the first line). Its labels are still
   * checked for ours.
   */
  inspected?: Pick<ContainerDetails, 'id' | 'labels' | 'tty'>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunResult {
  /** undefined: it did not end within its time and was killed. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export interface LogStream {
  /** The raw body: when `multiplexed`, Docker's 8-byte-header frames of stdout/stderr. */
  stream: Readable;
  multiplexed: boolean;
}

export interface EngineClient {
  /** Where this client connects and why there (setting, DOCKER_HOST, context, …). */
  readonly endpoint: ResolvedEngineHost;

  /** Resolves when the engine answers; EngineUnreachableError when it does not. */
  ping(signal?: AbortSignal): Promise<void>;
  version(signal?: AbortSignal): Promise<EngineVersion>;

  /** Containers (running and stopped) with our managed label and every label in `filter`. */
  listContainers(filter: LabelFilter, signal?: AbortSignal): Promise<ContainerSummary[]>;
  /** undefined when there is no such container. */
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails | undefined>;
  /** Creates and starts; removes the created container again if the start fails. */
  createAndStartContainer(spec: ContainerSpec, signal?: AbortSignal): Promise<{ id: string }>;
  /** Stops (after `stopTimeoutSeconds`, default 10) and removes; refuses containers not ours or not matching `filter`. */
  stopAndRemoveContainer(
    id: string,
    filter: LabelFilter,
    options?: { stopTimeoutSeconds?: number; signal?: AbortSignal },
  ): Promise<void>;

  listImages(filter: LabelFilter, signal?: AbortSignal): Promise<ImageSummary[]>;
  /** Any image by reference (also base images that are not ours); undefined when absent. */
  inspectImage(ref: string, signal?: AbortSignal): Promise<ImageDetails | undefined>;
  /**
   * Builds from a tar stream (the build context with its Dockerfile), never pulling:
   * base images must be local or already cached. Throws EngineBuildError on a failing step.
   */
  buildImage(
    context: Readable,
    options: BuildOptions,
    onProgress?: (p: BuildProgress) => void,
    signal?: AbortSignal,
  ): Promise<{ imageId: string }>;

  listNetworks(filter: LabelFilter, signal?: AbortSignal): Promise<NetworkSummary[]>;
  createNetwork(spec: NetworkSpec, signal?: AbortSignal): Promise<{ id: string }>;
  removeNetwork(idOrName: string, filter: LabelFilter, signal?: AbortSignal): Promise<void>;

  listVolumes(filter: LabelFilter, signal?: AbortSignal): Promise<VolumeSummary[]>;
  createVolume(spec: VolumeSpec, signal?: AbortSignal): Promise<{ name: string }>;
  removeVolume(name: string, filter: LabelFilter, signal?: AbortSignal): Promise<void>;

  /**
   * The engine's events for our objects, as they happen, until `signal` aborts (the
   * iteration then ends quietly). It also ends when the engine closes the stream (an
   * engine restart): callers that want to keep watching subscribe again.
   */
  events(filter: EventFilter, signal: AbortSignal): AsyncIterable<EngineEvent>;

  /** Whether the engine is in a swarm (state "inactive" when not). */
  swarmInfo(signal?: AbortSignal): Promise<SwarmInfo>;
  /** Services with our managed label and every label in `filter`. */
  listServices(filter: LabelFilter, signal?: AbortSignal): Promise<ServiceDetails[]>;
  /** Any service, ours or not (callers check the labels); undefined when there is no such service. */
  inspectService(idOrName: string, signal?: AbortSignal): Promise<ServiceDetails | undefined>;
  createService(spec: ServiceSpec, signal?: AbortSignal): Promise<{ id: string }>;
  /** Replaces a service's spec (a rolling update by its `update` policy); refuses a service not ours or not matching `filter`. */
  updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    filter: LabelFilter,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Sets a service's replicas and changes nothing else of its spec. */
  scaleService(
    id: string,
    replicas: number,
    filter: LabelFilter,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Swarm's own rollback of a service of ours to its spec before the last update. */
  rollbackService(id: string, filter: LabelFilter, signal?: AbortSignal): Promise<void>;
  /** Removes a service of ours (its tasks stop); refuses others. */
  removeService(id: string, filter: LabelFilter, signal?: AbortSignal): Promise<void>;
  /** The tasks of a service of ours (NotManagedError for another's). */
  listTasks(serviceId: string, signal?: AbortSignal): Promise<TaskSummary[]>;
  /**
   * A service's log (all its tasks, each message led by its task's attributes), followed
   * unless `follow` is false (then it ends with what there is); NotManagedError for another's.
   */
  serviceLogs(
    id: string,
    options: LogOptions & { follow?: boolean },
    signal: AbortSignal,
  ): Promise<LogStream>;

  listSecrets(filter: LabelFilter, signal?: AbortSignal): Promise<SecretSummary[]>;
  createSecret(spec: SecretSpec, signal?: AbortSignal): Promise<{ id: string }>;
  /** Refuses a secret not ours; one that a service still uses is refused by the engine (EngineRequestError). */
  removeSecret(id: string, filter: LabelFilter, signal?: AbortSignal): Promise<void>;

  /** Gives an image of ours another reference (REPO:TAG), e.g. a registry's. */
  tagImage(image: string, repo: string, tag: string, signal?: AbortSignal): Promise<void>;
  /** Pushes REPO:TAG to its registry (the engine's own credentials); EngineRequestError when the registry refuses. */
  pushImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void>;

  /**
   * A container's log, followed: the stream stays open for new lines until the container
   * stops or `signal` aborts. Always `follow: true` — a non-following request makes the
   * engine send the whole log as one buffered body.
   */
  logs(id: string, options: LogOptions, signal: AbortSignal): Promise<LogStream>;

  /**
   * One reading of a running container's CPU counters (one-shot stats, no wait for a
   * second sample): the caller takes the difference of two. undefined when it is gone.
   */
  cpuSample(id: string, signal?: AbortSignal): Promise<CpuSample | undefined>;

  /** What changed in a container's root filesystem since it was created; undefined when it is gone. */
  filesystemChanges(id: string, signal?: AbortSignal): Promise<FilesystemChange[] | undefined>;

  /**
   * Runs `command` (exec form) inside a running container of ours that matches `filter`
   * and collects its output (meant for short answers, like the keeper's status).
   * NotManagedError for a container that is not ours.
   */
  exec(
    id: string,
    filter: LabelFilter,
    command: string[],
    signal?: AbortSignal,
  ): Promise<ExecResult>;

  /**
   * Runs a short-lived container of ours to its end and collects its output: created from
   * `spec`, started, waited for and removed again whatever happens — also when `signal`
   * aborts or `timeoutMs` passes (it is then killed and its exit code is undefined).
   */
  runToCompletion(
    spec: ContainerSpec,
    options: { timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<RunResult>;

  /**
   * Regular files of an image, read without running anything: a container is created from
   * it (labelled ours, never started), each path fetched through the archive API, and the
   * container removed again whatever happens. A path maps to undefined when it is missing,
   * not a regular file, or larger than `maxBytes`.
   */
  readImageFiles(
    image: string,
    paths: readonly string[],
    options: { maxBytes: number; labels?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<Map<string, Buffer | undefined>>;
}
