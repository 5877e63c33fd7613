// EngineClient over the Docker Engine API, through dockerode.
// dockerode is required on first use, not at import: loading it (with ssh2, grpc,
// protobufjs) costs ~100 ms, which activation must not pay.
import type Dockerode from 'dockerode';
import type * as Https from 'node:https';
import type { Readable } from 'node:stream';
import type {
  BuildOptions,
  BuildProgress,
  ContainerDetails,
  ContainerSpec,
  ContainerSummary,
  CpuSample,
  EngineClient,
  FilesystemChange,
  EngineEvent,
  EngineVersion,
  EventFilter,
  ExecResult,
  ImageDetails,
  ImageSummary,
  LogOptions,
  LogStream,
  NetworkSpec,
  NetworkSummary,
  RunResult,
  SecretSpec,
  SecretSummary,
  ServiceDetails,
  ServiceSpec,
  ServiceUpdatePolicy,
  SwarmInfo,
  TaskSummary,
  VolumeSpec,
  VolumeSummary,
} from './EngineClient';
import type * as DockerRecords from './dockerRecords';
import type * as SwarmRecords from './swarmRecords';
import {
  EngineBuildError,
  EngineRequestError,
  EngineUnreachableError,
  NotManagedError,
  isAbortError,
  unreachableReason,
} from './errors';
import type { ResolvedEngineHost } from './hostResolution';
import { jsonLines } from './jsonLines';
import { readBody, streamingGet, streamingTarget, type StreamingTarget } from './streamingGet';
import { readTarFile } from '../util/tarFile';
import {
  LABEL_MANAGED,
  LABEL_ROLE,
  MANAGED_VALUE,
  type LabelFilter,
  labelFilterArgs,
  matchesLabels,
} from './labels';

const NS_PER_MS = 1_000_000;
/** The role of the never-started container readImageFiles reads an image through. */
const ROLE_FILE_READER = 'file-reader';

/** The engine record normalisers, loaded with dockerode on first use (their schemas cost a few ms to set up). */
let loadedRecords: typeof DockerRecords | undefined;
function records(): typeof DockerRecords {
  return (loadedRecords ??= require('./dockerRecords') as typeof DockerRecords);
}

let loadedSwarmRecords: typeof SwarmRecords | undefined;
function swarmRecords(): typeof SwarmRecords {
  return (loadedSwarmRecords ??= require('./swarmRecords') as typeof SwarmRecords);
}

/**
 * Set by esbuild.mjs: true in the shipped bundles (extension, CLI), which keep dockerode and its
 * stack in dist/dockerode.js beside them, read only on the first engine request (half of the
 * extension's code otherwise compiled at activation); false where it is bundled in (keeper, tests).
 */
declare const MASTERCOPY_DOCKERODE_FILE: boolean;

function loadDockerode(): typeof Dockerode {
  return (
    MASTERCOPY_DOCKERODE_FILE ? require(`${__dirname}/dockerode.js`) : require('dockerode')
  ) as typeof Dockerode;
}

/** dockerode accepts an abort signal on ping and version; its type definitions do not say so. */
type WithSignal<T> = (options: { abortSignal?: AbortSignal }) => Promise<T>;

export class DockerodeEngineClient implements EngineClient {
  private docker: Dockerode | undefined;

  constructor(readonly endpoint: ResolvedEngineHost) {}

  /** The dockerode instance, created (and dockerode loaded) on first use. */
  private api(): Dockerode {
    if (this.docker) return this.docker;
    const Docker = loadDockerode();
    const resolved = this.endpoint.dockerodeOptions;
    // docker-modem merges DOCKER_HOST & co. from process.env under the options given;
    // naming every connection key keeps the resolved endpoint the only source.
    const options: Record<string, unknown> = {
      socketPath: undefined,
      host: undefined,
      port: undefined,
      protocol: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      username: undefined,
      ...resolved,
    };
    if (this.endpoint.tls && !this.endpoint.tls.verify) {
      // Encrypted but unverified (DOCKER_TLS, SkipTLSVerify): docker-modem has no option for it.
      const https = require('node:https') as typeof Https;
      options.agent = new https.Agent({
        rejectUnauthorized: false,
        ca: resolved.ca,
        cert: resolved.cert,
        key: resolved.key,
      });
    }
    try {
      this.docker = new Docker(options as Dockerode.DockerOptions);
    } catch (e) {
      throw new EngineUnreachableError(
        this.endpoint.host,
        `cannot set up the connection: ${(e as Error).message}`,
        { cause: e, hint: this.endpoint.hint },
      );
    }
    return this.docker;
  }

  /** Runs one engine request, turning connection failures and error statuses into our errors. */
  private async call<T>(operation: string, request: (docker: Dockerode) => Promise<T>): Promise<T> {
    const docker = this.api();
    try {
      return await request(docker);
    } catch (e) {
      throw this.mapError(operation, e);
    }
  }

  private mapError(operation: string, e: unknown): unknown {
    if (isAbortError(e) || e instanceof EngineBuildError || e instanceof NotManagedError) return e;
    const reason = unreachableReason(e);
    if (reason)
      return new EngineUnreachableError(this.endpoint.host, reason, {
        cause: e,
        hint: this.endpoint.hint,
      });
    const err = e as { statusCode?: unknown; json?: unknown; message?: unknown };
    if (typeof err?.statusCode === 'number') {
      const json = err.json as { message?: unknown } | undefined;
      const message = typeof json?.message === 'string' ? json.message : String(err.message);
      return new EngineRequestError(operation, err.statusCode, message, { cause: e });
    }
    return e;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.call('answer a ping', (d) =>
      (d.ping.bind(d) as unknown as WithSignal<unknown>)({ abortSignal: signal }),
    );
  }

  async version(signal?: AbortSignal): Promise<EngineVersion> {
    return records().engineVersion(
      await this.call('tell its version', (d) =>
        (d.version.bind(d) as unknown as WithSignal<unknown>)({ abortSignal: signal }),
      ),
    );
  }

  async listContainers(filter: LabelFilter, signal?: AbortSignal): Promise<ContainerSummary[]> {
    const list = await this.call('list containers', (d) =>
      d.listContainers({
        all: true,
        filters: { label: labelFilterArgs(filter) },
        abortSignal: signal,
      }),
    );
    // The engine filtered already; checking again costs nothing and guards the rule.
    return (list as unknown[])
      .map(records().containerSummary)
      .filter((c) => matchesLabels(c.labels, filter));
  }

  async inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails | undefined> {
    const info = await unlessMissing(
      this.call(`inspect container ${id}`, (d) =>
        d.getContainer(id).inspect({ abortSignal: signal }),
      ),
    );
    return info && records().containerDetails(info);
  }

  async cpuSample(id: string, signal?: AbortSignal): Promise<CpuSample | undefined> {
    // one-shot: the engine answers at once instead of waiting a second for a second sample.
    const stats = await unlessMissing(
      this.call(`read the stats of container ${id}`, (d) =>
        d.getContainer(id).stats({ stream: false, 'one-shot': true, abortSignal: signal } as {
          stream: false;
          'one-shot': boolean;
        }),
      ),
    );
    const cpu = (
      stats as
        | {
            cpu_stats?: {
              cpu_usage?: { total_usage?: number };
              system_cpu_usage?: number;
              online_cpus?: number;
            };
          }
        | undefined
    )?.cpu_stats;
    if (
      !cpu?.cpu_usage ||
      typeof cpu.cpu_usage.total_usage !== 'number' ||
      typeof cpu.system_cpu_usage !== 'number'
    )
      return undefined;
    return {
      usageNs: cpu.cpu_usage.total_usage,
      systemNs: cpu.system_cpu_usage,
      onlineCpus: cpu.online_cpus || 1,
    };
  }

  async filesystemChanges(
    id: string,
    signal?: AbortSignal,
  ): Promise<FilesystemChange[] | undefined> {
    const raw = await unlessMissing(
      this.call(`list the filesystem changes of container ${id}`, (d) =>
        d.getContainer(id).changes({ abortSignal: signal } as object),
      ),
    );
    if (raw === undefined) return undefined;
    // null when nothing changed; Kind 0 modified, 1 added, 2 deleted.
    const kinds = ['changed', 'added', 'deleted'] as const;
    return ((raw ?? []) as { Path?: unknown; Kind?: unknown }[])
      .filter((c) => typeof c.Path === 'string' && typeof c.Kind === 'number' && kinds[c.Kind])
      .map((c) => ({ path: c.Path as string, kind: kinds[c.Kind as number] }));
  }

  async createAndStartContainer(
    spec: ContainerSpec,
    signal?: AbortSignal,
  ): Promise<{ id: string }> {
    const options = containerCreateOptions(spec);
    const container = await this.call(`create a container from ${spec.image}`, (d) =>
      d.createContainer({ ...options, abortSignal: signal }),
    );
    try {
      await this.call(`start container ${container.id}`, () =>
        container.start({ abortSignal: signal }),
      );
    } catch (e) {
      // A created-but-never-started copy is litter: remove it (not with the aborted signal).
      await container.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    return { id: container.id };
  }

  async stopAndRemoveContainer(
    id: string,
    filter: LabelFilter,
    options: { stopTimeoutSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const { signal } = options;
    const info = await this.inspectContainer(id, signal);
    if (!info) return; // already gone
    if (!matchesLabels(info.labels, filter)) throw new NotManagedError('container', id);
    const container = this.api().getContainer(info.id);
    // The engine counts a restarting container as running too; either way it is stopped first.
    if (info.running || info.status === 'restarting') {
      await ignoreStatus(
        [304, 404],
        this.call(`stop container ${id}`, () =>
          container.stop({ t: options.stopTimeoutSeconds ?? 10, abortSignal: signal }),
        ),
      );
    }
    // force: the container may have been restarted by its policy in between.
    await ignoreStatus(
      [404],
      this.call(`remove container ${id}`, () =>
        container.remove({ force: true, abortSignal: signal }),
      ),
      /already in progress/,
    );
  }

  async listImages(filter: LabelFilter, signal?: AbortSignal): Promise<ImageSummary[]> {
    // One label to the engine, the rest matched here: Podman 4.3 lists no image at all for
    // two or more label filters (ps then found no image of any copy: "image changed").
    const [sharpest] = labelFilterArgs(filter).sort(
      (a, b) => Number(b.includes('=')) - Number(a.includes('=')),
    );
    const list = await this.call('list images', (d) =>
      d.listImages({ filters: { label: [sharpest] }, abortSignal: signal }),
    );
    return (list as unknown[])
      .map(records().imageSummary)
      .filter((i) => matchesLabels(i.labels, filter));
  }

  // dockerode takes no signal for image and network inspection; they answer at once.
  async inspectImage(ref: string, _signal?: AbortSignal): Promise<ImageDetails | undefined> {
    const info = await unlessMissing(
      this.call(`inspect image ${ref}`, (d) => d.getImage(ref).inspect()),
    );
    return info && records().imageDetails(info);
  }

  async buildImage(
    context: Readable,
    options: BuildOptions,
    onProgress?: (p: BuildProgress) => void,
    signal?: AbortSignal,
  ): Promise<{ imageId: string }> {
    const operation = `build ${options.tag}`;
    return this.call(operation, async (d) => {
      const stream = (await d.buildImage(context, {
        t: options.tag,
        labels: { ...options.labels, [LABEL_MANAGED]: MANAGED_VALUE },
        buildargs: options.buildArgs ?? {},
        dockerfile: options.dockerfile ?? 'Dockerfile',
        // The local base image must win: never reach for a registry.
        pull: false,
        rm: true,
        forcerm: true,
        abortSignal: signal,
      } as Dockerode.ImageBuildOptions)) as Readable;
      const output: string[] = [];
      let imageId: string | undefined;
      for await (const line of jsonLines(stream)) {
        const msg = line as {
          stream?: unknown;
          status?: unknown;
          error?: unknown;
          errorDetail?: { message?: unknown };
          aux?: { ID?: unknown };
        };
        if (typeof msg.error === 'string' || msg.errorDetail) {
          const text =
            typeof msg.errorDetail?.message === 'string'
              ? msg.errorDetail.message
              : String(msg.error);
          throw new EngineBuildError(options.tag, text, output);
        }
        if (typeof msg.aux?.ID === 'string') imageId = msg.aux.ID;
        const text =
          typeof msg.stream === 'string'
            ? msg.stream
            : typeof msg.status === 'string'
              ? msg.status
              : undefined;
        if (text !== undefined) {
          for (const part of text.split('\n')) {
            if (!part.trim()) continue;
            output.push(part);
            onProgress?.({ kind: 'output', text: part });
            // The classic builder reports the id only as text.
            const built = /^Successfully built ([0-9a-f]+)$/.exec(part.trim());
            if (built && !imageId) imageId = built[1];
          }
        }
      }
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      if (!imageId) {
        // Older engines may not report an id at all: ask for the tag.
        imageId = records().imageDetails(await d.getImage(options.tag).inspect()).id;
      }
      onProgress?.({ kind: 'built', imageId });
      return { imageId };
    });
  }

  async listNetworks(filter: LabelFilter, signal?: AbortSignal): Promise<NetworkSummary[]> {
    const list = await this.call('list networks', (d) =>
      d.listNetworks({ filters: { label: labelFilterArgs(filter) }, abortSignal: signal }),
    );
    return (list as unknown[])
      .map(records().networkSummary)
      .filter((n) => matchesLabels(n.labels, filter));
  }

  async createNetwork(spec: NetworkSpec, signal?: AbortSignal): Promise<{ id: string }> {
    const network = await this.call(`create network ${spec.name}`, (d) =>
      d.createNetwork({
        Name: spec.name,
        Driver: spec.driver ?? 'bridge',
        Internal: spec.internal ?? false,
        Attachable: spec.attachable,
        CheckDuplicate: true,
        Labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
        abortSignal: signal,
      }),
    );
    return { id: network.id };
  }

  async removeNetwork(idOrName: string, filter: LabelFilter, signal?: AbortSignal): Promise<void> {
    const network = this.api().getNetwork(idOrName);
    const info = await unlessMissing(
      this.call(`inspect network ${idOrName}`, () => network.inspect() as Promise<unknown>),
    );
    if (info === undefined) return;
    if (!matchesLabels(records().networkSummary(info).labels, filter))
      throw new NotManagedError('network', idOrName);
    await ignoreStatus(
      [404],
      this.call(`remove network ${idOrName}`, () => network.remove({ abortSignal: signal })),
    );
  }

  async listVolumes(filter: LabelFilter, signal?: AbortSignal): Promise<VolumeSummary[]> {
    const result = await this.call('list volumes', (d) =>
      d.listVolumes({ filters: { label: labelFilterArgs(filter) }, abortSignal: signal }),
    );
    return records()
      .volumeList(result)
      .filter((v) => matchesLabels(v.labels, filter));
  }

  async createVolume(spec: VolumeSpec, signal?: AbortSignal): Promise<{ name: string }> {
    const volume = await this.call(`create volume ${spec.name}`, (d) =>
      d.createVolume({
        Name: spec.name,
        Labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
        abortSignal: signal,
      }),
    );
    return { name: (volume as unknown as { name: string }).name ?? spec.name };
  }

  async removeVolume(name: string, filter: LabelFilter, signal?: AbortSignal): Promise<void> {
    const volume = this.api().getVolume(name);
    const info = await unlessMissing(
      this.call(
        `inspect volume ${name}`,
        () => volume.inspect({ abortSignal: signal }) as Promise<unknown>,
      ),
    );
    if (info === undefined) return;
    if (!matchesLabels(records().volumeSummary(info).labels, filter))
      throw new NotManagedError('volume', name);
    await ignoreStatus(
      [404],
      this.call(`remove volume ${name}`, () => volume.remove({ abortSignal: signal })),
    );
  }

  async *events(filter: EventFilter, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    if (signal.aborted) return;
    const filters: Record<string, string[]> = filter.networkEvents
      ? { type: ['network'] }
      : { label: labelFilterArgs(filter.labels) };
    if (filter.types?.length && !filter.networkEvents) filters.type = [...filter.types];
    let stream: Readable;
    try {
      // The engine takes seconds with a fraction.
      const since = filter.since !== undefined ? (filter.since / 1000).toFixed(3) : undefined;
      stream = (await this.call('stream events', (d) =>
        d.getEvents({ filters, since, abortSignal: signal } as Dockerode.GetEventsOptions),
      )) as Readable;
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const onAbort = () => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const line of jsonLines(stream)) {
        const e = records().engineEvent(line);
        if (!e) continue;
        // Label filters apply to containers' attributes; other objects are checked here.
        if (e.type === 'container' && !matchesLabels(e.attributes, filter.labels)) continue;
        yield e;
      }
    } catch (e) {
      if (signal.aborted) return;
      throw this.mapError('stream events', e);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  async exec(
    id: string,
    filter: LabelFilter,
    command: string[],
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    const info = await this.inspectContainer(id, signal);
    if (!info)
      throw new EngineRequestError(`run ${command[0]} in ${id}`, 404, `no such container: ${id}`);
    if (!matchesLabels(info.labels, filter)) throw new NotManagedError('container', id);
    const operation = `run ${command[0]} in container ${info.name}`;
    const container = this.api().getContainer(info.id);
    const exec = await this.call(operation, () =>
      container.exec({
        Cmd: command,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        abortSignal: signal,
      } as Dockerode.ExecCreateOptions),
    );
    const stream = (await this.call(operation, () =>
      exec.start({ hijack: true, stdin: false, abortSignal: signal } as Dockerode.ExecStartOptions),
    )) as Readable;
    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    const chunks: Buffer[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
    } catch (e) {
      throw this.mapError(operation, e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    signal?.throwIfAborted();
    const { stdout, stderr } = demultiplex(Buffer.concat(chunks));
    const result = await this.call(operation, () =>
      exec.inspect({ abortSignal: signal } as Dockerode.ExecInspectOptions),
    );
    return { exitCode: result.ExitCode ?? -1, stdout, stderr };
  }

  async runToCompletion(
    spec: ContainerSpec,
    options: { timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<RunResult> {
    const container = await this.call(`create a container from ${spec.image}`, (d) =>
      d.createContainer({ ...containerCreateOptions(spec), abortSignal: signal }),
    );
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const either = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      let exitCode: number | undefined;
      try {
        await this.call(`start container ${container.id}`, () =>
          container.start({ abortSignal: either }),
        );
        const waited = (await this.call(`wait for container ${container.id}`, () =>
          container.wait({ abortSignal: either }),
        )) as { StatusCode?: unknown };
        exitCode = typeof waited.StatusCode === 'number' ? waited.StatusCode : -1;
      } catch (e) {
        // Out of time is an answer (undefined); an abort or an engine error is not.
        if (signal?.aborted || !timeout.aborted) throw e;
      }
      if (exitCode === undefined) return { exitCode, stdout: '', stderr: '' };
      // Not followed: the output of a container that has ended is complete (and ours is a line).
      const body = (await this.call(`read the output of container ${container.id}`, () =>
        container.logs({ stdout: true, stderr: true, follow: false, abortSignal: signal }),
      )) as unknown as Buffer;
      return { exitCode, ...demultiplex(Buffer.isBuffer(body) ? body : Buffer.from(String(body))) };
    } finally {
      // Not with `signal`: an aborted run must not leave its container behind.
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async readImageFiles(
    image: string,
    paths: readonly string[],
    options: { maxBytes: number; labels?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<Map<string, Buffer | undefined>> {
    const out = new Map<string, Buffer | undefined>();
    if (!paths.length) return out;
    const container = await this.call(`create a container from ${image} to read its files`, (d) =>
      d.createContainer({
        Image: image,
        Labels: {
          ...options.labels,
          [LABEL_ROLE]: ROLE_FILE_READER,
          [LABEL_MANAGED]: MANAGED_VALUE,
        },
        // Never started: a command only so that an image without one can be created at all.
        Cmd: ['/never-run'],
        NetworkDisabled: true,
        HostConfig: { NetworkMode: 'none', ReadonlyRootfs: true, CapDrop: ['ALL'] },
        abortSignal: signal,
      }),
    );
    try {
      for (const path of paths) {
        const stream = await unlessMissing(
          this.call(`read ${path} from ${image}`, () =>
            container.getArchive({ path, abortSignal: signal }),
          ),
        );
        const file = stream && (await readTarFile(stream as Readable, options.maxBytes));
        out.set(path, file?.kind === 'file' ? file.content : undefined);
      }
    } finally {
      // Not with `signal`: an aborted read must not leave the container behind.
      await container.remove({ force: true }).catch(() => undefined);
    }
    return out;
  }

  async swarmInfo(signal?: AbortSignal): Promise<SwarmInfo> {
    return swarmRecords().swarmInfo(
      await this.call('tell whether it is in a swarm', (d) =>
        (d.info.bind(d) as unknown as WithSignal<unknown>)({ abortSignal: signal }),
      ),
    );
  }

  async listServices(filter: LabelFilter, signal?: AbortSignal): Promise<ServiceDetails[]> {
    const list = await this.call('list services', (d) =>
      d.listServices({
        filters: { label: labelFilterArgs(filter) },
        abortSignal: signal,
      } as object),
    );
    return (list as unknown[])
      .map(swarmRecords().serviceDetails)
      .filter((s) => matchesLabels(s.labels, filter));
  }

  async inspectService(
    idOrName: string,
    signal?: AbortSignal,
  ): Promise<ServiceDetails | undefined> {
    const info = await unlessMissing(
      this.call(`inspect service ${idOrName}`, (d) =>
        d.getService(idOrName).inspect({ abortSignal: signal } as object),
      ),
    );
    return info && swarmRecords().serviceDetails(info);
  }

  async createService(spec: ServiceSpec, signal?: AbortSignal): Promise<{ id: string }> {
    const created = (await this.call(`create service ${spec.name}`, (d) =>
      d.createService({ _body: serviceCreateOptions(spec), abortSignal: signal } as object),
    )) as unknown as { id?: string; ID?: string };
    return { id: created.id ?? created.ID ?? '' };
  }

  /** The service, when it is ours and matches `filter`; NotManagedError otherwise. */
  private async ownService(id: string, filter: LabelFilter, signal?: AbortSignal) {
    const info = await this.inspectService(id, signal);
    if (!info) throw new EngineRequestError(`find service ${id}`, 404, `no such service: ${id}`);
    if (!matchesLabels(info.labels, filter)) throw new NotManagedError('service', id);
    return info;
  }

  async updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    filter: LabelFilter,
    signal?: AbortSignal,
  ): Promise<void> {
    const info = await this.ownService(id, filter, signal);
    await this.call(`update service ${info.name}`, () =>
      this.api()
        .getService(info.id)
        .update({
          _query: { version },
          _body: serviceCreateOptions(spec),
          abortSignal: signal,
        } as object),
    );
  }

  async scaleService(
    id: string,
    replicas: number,
    filter: LabelFilter,
    signal?: AbortSignal,
  ): Promise<void> {
    const info = await this.ownService(id, filter, signal);
    const service = this.api().getService(info.id);
    // The spec as the engine has it, with only the count changed: nothing else moves.
    const raw = (await this.call(`inspect service ${info.name}`, () =>
      service.inspect({ abortSignal: signal } as object),
    )) as { Spec: { Mode?: { Replicated?: { Replicas?: number } } }; Version: { Index: number } };
    const spec = { ...raw.Spec, Mode: { Replicated: { Replicas: replicas } } };
    await this.call(`scale service ${info.name}`, () =>
      service.update({
        _query: { version: raw.Version.Index },
        _body: spec,
        abortSignal: signal,
      } as object),
    );
  }

  async rollbackService(id: string, filter: LabelFilter, signal?: AbortSignal): Promise<void> {
    const info = await this.ownService(id, filter, signal);
    const service = this.api().getService(info.id);
    const raw = (await this.call(`inspect service ${info.name}`, () =>
      service.inspect({ abortSignal: signal } as object),
    )) as { Spec: unknown; Version: { Index: number } };
    // Swarm's own rollback to the spec before the last update, by the rollback policy.
    await this.call(`roll back service ${info.name}`, () =>
      service.update({
        _query: { version: raw.Version.Index, rollback: 'previous' },
        _body: raw.Spec,
        abortSignal: signal,
      } as object),
    );
  }

  async removeService(id: string, filter: LabelFilter, signal?: AbortSignal): Promise<void> {
    const info = await this.inspectService(id, signal);
    if (!info) return;
    if (!matchesLabels(info.labels, filter)) throw new NotManagedError('service', id);
    await ignoreStatus(
      [404],
      this.call(`remove service ${info.name}`, () =>
        this.api()
          .getService(info.id)
          .remove({ abortSignal: signal } as object),
      ),
    );
  }

  async listTasks(serviceId: string, signal?: AbortSignal): Promise<TaskSummary[]> {
    const info = await this.ownService(serviceId, {}, signal);
    const list = await this.call(`list the tasks of service ${info.name}`, (d) =>
      d.listTasks({ filters: { service: [info.id] }, abortSignal: signal } as object),
    );
    // The engine matches a service filter by name prefix too: keep only this service's.
    return (list as unknown[])
      .map(swarmRecords().taskSummary)
      .filter((t) => t.serviceId === info.id);
  }

  async serviceLogs(
    id: string,
    options: LogOptions & { follow?: boolean },
    signal: AbortSignal,
  ): Promise<LogStream> {
    const info = await this.ownService(id, {}, signal);
    const operation = `read the log of service ${info.name}`;
    const query = {
      follow: options.follow ?? true,
      stdout: true,
      stderr: true,
      // Each line then starts with the task's attributes: which replica said it.
      details: true,
      timestamps: options.timestamps ?? false,
      tail: options.tail ?? 'all',
      since: options.since ?? 0,
    };
    const own = streamingTarget(this.endpoint);
    if (own) {
      const stream = await this.logsOnOwnConnection(
        own,
        `/services/${encodeURIComponent(info.id)}/logs`,
        query,
        operation,
        signal,
      );
      if (stream) return { stream, multiplexed: true };
    }
    const stream = await this.call(operation, () =>
      this.api()
        .getService(info.id)
        .logs({ ...query, abortSignal: signal } as object),
    );
    return { stream: stream as unknown as Readable, multiplexed: true };
  }

  async listSecrets(filter: LabelFilter, signal?: AbortSignal): Promise<SecretSummary[]> {
    const list = await this.call('list secrets', (d) =>
      d.listSecrets({ filters: { label: labelFilterArgs(filter) }, abortSignal: signal } as object),
    );
    return (list as unknown[])
      .map(swarmRecords().secretSummary)
      .filter((s) => matchesLabels(s.labels, filter));
  }

  async createSecret(spec: SecretSpec, signal?: AbortSignal): Promise<{ id: string }> {
    const created = (await this.call(`create secret ${spec.name}`, (d) =>
      d.createSecret({
        Name: spec.name,
        Labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
        Data: Buffer.from(spec.value, 'utf8').toString('base64'),
        abortSignal: signal,
      } as object),
    )) as unknown as { id?: string; ID?: string };
    return { id: created.id ?? created.ID ?? '' };
  }

  async removeSecret(id: string, filter: LabelFilter, signal?: AbortSignal): Promise<void> {
    const secret = this.api().getSecret(id);
    const info = await unlessMissing(
      this.call(`inspect secret ${id}`, () => secret.inspect({ abortSignal: signal } as object)),
    );
    if (info === undefined) return;
    if (!matchesLabels(swarmRecords().secretSummary(info).labels, filter))
      throw new NotManagedError('secret', id);
    await ignoreStatus(
      [404],
      this.call(`remove secret ${id}`, () => secret.remove({ abortSignal: signal } as object)),
    );
  }

  async tagImage(image: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    const info = await this.inspectImage(image, signal);
    if (!info || !matchesLabels(info.labels, {})) throw new NotManagedError('image', image);
    await this.call(`tag ${image} as ${repo}:${tag}`, (d) =>
      d.getImage(info.id).tag({ repo, tag, abortSignal: signal } as Dockerode.ImageTagOptions),
    );
  }

  async pushImage(
    ref: string,
    onProgress?: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const operation = `push ${ref}`;
    await this.call(operation, async (d) => {
      // The engine answers 200 and then reports a refusal inside the stream.
      const stream = (await d.getImage(ref).push({ abortSignal: signal } as object)) as Readable;
      for await (const line of jsonLines(stream)) {
        const msg = line as {
          status?: unknown;
          error?: unknown;
          errorDetail?: { message?: unknown };
        };
        if (typeof msg.error === 'string' || msg.errorDetail)
          throw new EngineRequestError(
            operation,
            500,
            String(msg.errorDetail?.message ?? msg.error),
          );
        if (typeof msg.status === 'string') onProgress?.(msg.status);
      }
    });
  }

  async logs(id: string, options: LogOptions, signal: AbortSignal): Promise<LogStream> {
    const known = options.inspected ?? (await this.inspectContainer(id, signal));
    if (!known)
      throw new EngineRequestError(`follow the log of ${id}`, 404, `no such container: ${id}`);
    if (!matchesLabels(known.labels, {})) throw new NotManagedError('container', id);
    const operation = `follow the log of ${id}`;
    // Always follow: without it the engine answers with the whole log as one buffered body.
    const query = {
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: options.timestamps ?? false,
      tail: options.tail ?? 'all',
      since: options.since ?? 0,
    };
    const own = streamingTarget(this.endpoint);
    if (own) {
      const stream = await this.logsOnOwnConnection(
        own,
        `/containers/${encodeURIComponent(known.id)}/logs`,
        query,
        operation,
        signal,
      );
      if (stream) return { stream, multiplexed: !known.tty };
    }
    const container = this.api().getContainer(known.id);
    const stream = await this.call(operation, () =>
      container.logs({ ...query, abortSignal: signal } as Dockerode.ContainerLogsOptions & {
        follow: true;
      }),
    );
    return { stream: stream as Readable, multiplexed: !known.tty };
  }

  /**
   * A log on a socket of its own, asked in HTTP/1.0 so that it comes unchunked, in large
   * reads (see streamingGet.ts). Undefined when the server chunks it anyway: then the
   * HTTP/1.1 client is to ask again.
   */
  private async logsOnOwnConnection(
    target: StreamingTarget,
    path: string,
    query: Record<string, string | number | boolean>,
    operation: string,
    signal: AbortSignal,
  ): Promise<Readable | undefined> {
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    );
    let response;
    try {
      response = await streamingGet(target, `${path}?${search}`, signal);
    } catch (e) {
      throw this.mapError(operation, e);
    }
    if (response.status !== 200) {
      const text = await readBody(response.body);
      let message = text.trim();
      try {
        const json = JSON.parse(text) as { message?: unknown };
        if (typeof json.message === 'string') message = json.message;
      } catch {
        // not JSON: the text as it came
      }
      throw new EngineRequestError(operation, response.status, message);
    }
    if (!/chunked/i.test(response.headers['transfer-encoding'] ?? '')) return response.body;
    response.body.destroy();
    return undefined;
  }
}

/** A client for this endpoint; nothing is loaded or connected until its first request. */
export function createEngineClient(endpoint: ResolvedEngineHost): EngineClient {
  return new DockerodeEngineClient(endpoint);
}

/** The create request for a spec, as sent to the engine (exported for bench/print.ts, which sends it itself). */
export function containerCreateOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort: string }[]> = {};
  for (const p of spec.ports ?? []) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: p.hostIp ?? '',
      HostPort: p.hostPort ? String(p.hostPort) : '',
    });
  }
  const restart = spec.restart ?? 'no';
  const health = spec.healthCheck;
  return {
    name: spec.name,
    Image: spec.image,
    Labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: spec.env ? Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) : undefined,
    User: spec.user,
    WorkingDir: spec.workdir,
    ExposedPorts: exposed,
    Healthcheck: health
      ? {
          Test:
            typeof health.command === 'string'
              ? ['CMD-SHELL', health.command]
              : ['CMD', ...health.command],
          Interval: health.intervalMs !== undefined ? health.intervalMs * NS_PER_MS : undefined,
          Timeout: health.timeoutMs !== undefined ? health.timeoutMs * NS_PER_MS : undefined,
          Retries: health.retries,
          StartPeriod:
            health.startPeriodMs !== undefined ? health.startPeriodMs * NS_PER_MS : undefined,
        }
      : undefined,
    HostConfig: {
      ReadonlyRootfs: spec.readOnly ?? true,
      Tmpfs: Object.fromEntries((spec.tmpfs ?? []).map((path) => [path, ''])),
      CapDrop: spec.capDrop ?? ['ALL'],
      CapAdd: spec.capAdd ?? [],
      SecurityOpt: (spec.noNewPrivileges ?? true) ? ['no-new-privileges:true'] : [],
      Memory: spec.memoryBytes,
      NanoCpus: spec.cpus !== undefined ? Math.round(spec.cpus * 1e9) : undefined,
      RestartPolicy: { Name: restart === 'no' ? '' : restart },
      PortBindings: bindings,
      Mounts: [
        ...(spec.volumes ?? []).map((v) => ({
          Type: 'volume' as const,
          Source: v.name,
          Target: v.path,
          ReadOnly: v.readOnly ?? false,
        })),
        ...(spec.binds ?? []).map((b) => ({
          Type: 'bind' as const,
          Source: b.source,
          Target: b.path,
          ReadOnly: b.readOnly ?? false,
        })),
      ],
      NetworkMode: spec.network,
      Init: spec.init,
    },
  };
}

/** A service spec as the engine's create and update requests take it (exported for bench/swarm.ts). */
export function serviceCreateOptions(spec: ServiceSpec): Record<string, unknown> {
  const health = spec.healthCheck;
  const policy = (p: ServiceUpdatePolicy) => ({
    Parallelism: p.parallelism,
    Order: p.order,
    FailureAction: p.failureAction,
    Monitor: p.monitorMs * NS_PER_MS,
    Delay: (p.delayMs ?? 0) * NS_PER_MS,
    MaxFailureRatio: 0,
  });
  return {
    Name: spec.name,
    Labels: { ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE },
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Labels: { ...spec.containerLabels, [LABEL_MANAGED]: MANAGED_VALUE },
        Command: spec.entrypoint,
        Args: spec.command,
        Env: spec.env ? Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) : undefined,
        User: spec.user,
        Dir: spec.workdir,
        ReadOnly: spec.readOnly ?? true,
        CapabilityDrop: spec.capDrop ?? ['ALL'],
        CapabilityAdd: spec.capAdd?.length ? spec.capAdd : undefined,
        Privileges: { NoNewPrivileges: spec.noNewPrivileges ?? true },
        Init: spec.init ?? true,
        Healthcheck: health
          ? {
              Test:
                typeof health.command === 'string'
                  ? ['CMD-SHELL', health.command]
                  : ['CMD', ...health.command],
              Interval: health.intervalMs !== undefined ? health.intervalMs * NS_PER_MS : undefined,
              Timeout: health.timeoutMs !== undefined ? health.timeoutMs * NS_PER_MS : undefined,
              Retries: health.retries,
              StartPeriod:
                health.startPeriodMs !== undefined ? health.startPeriodMs * NS_PER_MS : undefined,
            }
          : undefined,
        Mounts: [
          ...(spec.tmpfs ?? []).map((path) => ({ Type: 'tmpfs', Target: path })),
          ...(spec.volumes ?? []).map((v) => ({
            Type: 'volume',
            Source: v.name,
            Target: v.path,
            ReadOnly: v.readOnly ?? false,
          })),
        ],
        Secrets: (spec.secrets ?? []).map((s) => ({
          SecretID: s.id,
          SecretName: s.name,
          // World-readable inside the task: its user may be anyone the image names.
          File: { Name: s.file, UID: '0', GID: '0', Mode: 0o444 },
        })),
      },
      Resources: {
        Limits: {
          MemoryBytes: spec.memoryBytes,
          NanoCPUs: spec.cpus !== undefined ? Math.round(spec.cpus * 1e9) : undefined,
        },
      },
      RestartPolicy: {
        Condition: spec.restart.condition,
        Delay: (spec.restart.delayMs ?? 1000) * NS_PER_MS,
      },
      Networks: spec.networks.map((Target) => ({ Target })),
    },
    Mode: { Replicated: { Replicas: spec.replicas } },
    UpdateConfig: policy(spec.update),
    RollbackConfig: policy(spec.rollback),
    EndpointSpec: {
      Mode: 'vip',
      Ports: spec.ports.map((p) => ({
        Protocol: p.protocol,
        TargetPort: p.target,
        PublishedPort: p.published,
        PublishMode: p.mode,
      })),
    },
  };
}

/** Docker's stdout/stderr frames (1 byte stream, 3 zero, 4 bytes size, payload) of a whole body. */
function demultiplex(body: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (body.length - offset >= 8) {
    const size = body.readUInt32BE(offset + 4);
    const payload = body.subarray(offset + 8, offset + 8 + size);
    (body[offset] === 2 ? err : out).push(payload);
    offset += 8 + size;
  }
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

/** The answer of an inspection, or undefined when the engine has no such object (404). */
function unlessMissing<T>(request: Promise<T>): Promise<T | undefined> {
  return ignoreStatus([404], request);
}

async function ignoreStatus<T>(
  statuses: number[],
  request: Promise<T>,
  messagePattern?: RegExp,
): Promise<T | undefined> {
  try {
    return await request;
  } catch (e) {
    if (
      e instanceof EngineRequestError &&
      (statuses.includes(e.statusCode ?? -1) ||
        (messagePattern && messagePattern.test(e.engineMessage)))
    )
      return undefined;
    throw e;
  }
}
