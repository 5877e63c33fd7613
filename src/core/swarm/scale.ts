// Scaling on the Swarm target: the service's replicas, nothing else of its spec changed;
// then wait until that many tasks run.
import type { EngineClient, TaskSummary } from '../engine/EngineClient';
import { MAX_COPIES } from '../copies/print';
import { CopiesError } from '../copies/errors';
import { findService, requireManager, serviceFilter, SwarmError, waitForTasks } from './service';
import { serviceName } from './spec';

export interface SwarmScaleResult {
  name: string;
  before: number;
  after: number;
  running: TaskSummary[];
  failed: TaskSummary[];
}

export async function scaleService(
  engine: EngineClient,
  name: string,
  replicas: number,
  options: { timeoutMs?: number; signal?: AbortSignal; onTasks?: (running: number) => void } = {},
): Promise<SwarmScaleResult> {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_COPIES)
    throw new CopiesError(
      `The number of copies must be a whole number from 0 to ${MAX_COPIES}, not ${replicas}.`,
    );
  await requireManager(engine, options.signal);
  const service = await findService(engine, name, options.signal);
  if (!service)
    throw new SwarmError(
      `${name} has no service (${serviceName(name)}) on this swarm: print it first (mastercopy print FILE --target swarm).`,
    );
  if (service.replicas !== replicas)
    await engine.scaleService(service.id, replicas, serviceFilter(name), options.signal);
  const outcome = await waitForTasks(
    engine,
    service.id,
    { replicas, image: service.image },
    { timeoutMs: options.timeoutMs ?? 60_000, signal: options.signal, onTasks: options.onTasks },
  );
  return { name, before: service.replicas, after: replicas, ...outcome };
}
