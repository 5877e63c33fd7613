// The Swarm target's copies are the tasks of each master copy's service: index = the
// task's slot, its state as Swarm says, the node it runs on. And their log, through the
// service's log (every task's lines, each led by its task's attributes).
import type { EngineClient, ServiceDetails, TaskSummary } from '../engine/EngineClient';
import { LABEL_NAME, LABEL_ROLE, LABEL_VERSION } from '../engine/labels';
import { LogDecoder } from '../logs/LogDecoder';
import { currentTasks, findService, SwarmError } from './service';
import { LABEL_SERVICE_VERSION, ROLE_SERVICE, serviceName } from './spec';

/** One task as a copy (`mastercopy ps --target swarm --json` prints these). */
export interface TaskCopy {
  name: string;
  version: string;
  /** The task's slot. */
  index: number;
  /** The task's id. */
  id: string;
  shortId: string;
  containerId: string | null;
  /** Swarm's task state: new, pending, starting (not yet healthy), running, failed, shutdown, … */
  state: string;
  desiredState: string;
  node: string;
  image: string;
  ports: {
    container: number;
    protocol: 'tcp' | 'udp';
    host: number | null;
    mode: 'ingress' | 'host';
  }[];
  message: string;
  error: string | null;
}

export interface ServiceCopies {
  name: string;
  service: {
    id: string;
    name: string;
    version: string;
    replicas: number;
    updateState: string | null;
  };
  copies: TaskCopy[];
}

/** Our services (every master copy's, or `name`'s) with their tasks, by slot; `all` also those Swarm has ended. */
export async function listServiceCopies(
  engine: EngineClient,
  options: { name?: string; all?: boolean; signal?: AbortSignal } = {},
): Promise<ServiceCopies[]> {
  const services = await engine.listServices(
    { [LABEL_NAME]: options.name ?? true, [LABEL_ROLE]: ROLE_SERVICE },
    options.signal,
  );
  const out = await Promise.all(
    services.map(async (s) => {
      const tasks = await engine.listTasks(s.id, options.signal);
      return serviceCopies(s, options.all ? tasks : currentTasks(tasks));
    }),
  );
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function serviceCopies(s: ServiceDetails, tasks: readonly TaskSummary[]): ServiceCopies {
  const name = s.labels[LABEL_NAME] ?? s.name;
  return {
    name,
    service: {
      id: s.id,
      name: s.name,
      version: s.labels[LABEL_VERSION] ?? '',
      replicas: s.replicas,
      updateState: s.updateStatus?.state ?? null,
    },
    copies: tasks
      .map((t) => taskCopy(name, s, t))
      .sort((a, b) => a.index - b.index || (a.state === 'running' ? -1 : 1)),
  };
}

function taskCopy(name: string, s: ServiceDetails, t: TaskSummary): TaskCopy {
  // Host mode: the task's own port; ingress: the service's.
  const ports = t.ports.length ? t.ports : s.ports;
  return {
    name,
    version: t.labels[LABEL_SERVICE_VERSION] ?? '',
    index: t.slot,
    id: t.id,
    shortId: t.id.slice(0, 12),
    containerId: t.containerId ?? null,
    state: t.state,
    desiredState: t.desiredState,
    node: t.nodeId.slice(0, 12),
    image: t.image.replace(/@sha256:[0-9a-f]+$/, ''),
    ports: ports.map((p) => ({
      container: p.target,
      protocol: p.protocol,
      host: p.published ?? null,
      mode: p.mode,
    })),
    message: t.message,
    error: t.error ?? null,
  };
}

export interface ServiceLogLine {
  /** The task's slot (0 when the line names no task this service has). */
  index: number;
  stream: 'stdout' | 'stderr';
  /** The sortable key of the engine's timestamp (see timestampKey). */
  timestamp: string;
  text: string;
}

/**
 * The log of a master copy's service, demultiplexed like a container's (LogDecoder), each
 * line told by its task's slot. Resolves when the log ends (without `follow`) or `signal` aborts.
 */
export async function readServiceLogs(
  engine: EngineClient,
  name: string,
  options: { follow?: boolean; tail?: number; since?: number; signal: AbortSignal },
  onLine: (line: ServiceLogLine) => void,
): Promise<void> {
  const service = await findService(engine, name, options.signal);
  if (!service)
    throw new SwarmError(
      `${name} has no service (${serviceName(name)}) on this swarm: nothing to show.`,
    );
  const slots = new Map(
    (await engine.listTasks(service.id, options.signal)).map((t) => [t.id, t.slot]),
  );
  const { stream, multiplexed } = await engine.serviceLogs(
    service.id,
    { follow: options.follow ?? false, tail: options.tail, since: options.since, timestamps: true },
    options.signal,
  );
  const decoder = new LogDecoder({
    multiplexed,
    onLine: (line) => {
      const { attributes, text } = splitDetails(line.text);
      const task = attributes['com.docker.swarm.task.id'];
      onLine({
        index: (task && slots.get(task)) || 0,
        stream: line.stream === 'stderr' ? 'stderr' : 'stdout',
        timestamp: line.key,
        text,
      });
    },
  });
  try {
    for await (const chunk of stream) decoder.push(chunk as Buffer);
    decoder.end();
  } catch (e) {
    if (!options.signal.aborted) throw e;
  } finally {
    stream.destroy();
  }
}

/** "com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=… text" → the attributes and the text. */
export function splitDetails(line: string): { attributes: Record<string, string>; text: string } {
  const space = line.indexOf(' ');
  const head = space < 0 ? line : line.slice(0, space);
  if (!/^[a-z0-9._-]+=[^,]*(,[a-z0-9._-]+=[^,]*)*$/i.test(head))
    return { attributes: {}, text: line };
  const attributes: Record<string, string> = {};
  for (const pair of head.split(',')) {
    const eq = pair.indexOf('=');
    const value = pair.slice(eq + 1);
    try {
      attributes[pair.slice(0, eq)] = decodeURIComponent(value);
    } catch {
      attributes[pair.slice(0, eq)] = value;
    }
  }
  return { attributes, text: space < 0 ? '' : line.slice(space + 1) };
}
