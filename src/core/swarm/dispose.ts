// Disposing on the Swarm target: the master copy's service, then its secrets and its
// overlay network — each only when it carries our labels for this master copy, so a
// service, secret or network of anybody else survives whatever its name. The ledger
// stays (it is history), as on the local target.
import type { EngineClient } from '../engine/EngineClient';
import { EngineRequestError } from '../engine/errors';
import { LABEL_NAME, LABEL_ROLE } from '../engine/labels';
import { delay } from '../util/delay';
import { findService, requireManager, serviceFilter } from './service';
import { ROLE_SECRET, ROLE_SWARM_NETWORK } from './spec';

export interface SwarmDisposeResult {
  service?: { id: string; name: string; version: string };
  secrets: string[];
  networks: string[];
}

export async function disposeService(
  engine: EngineClient,
  name: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<SwarmDisposeResult> {
  const { signal } = options;
  await requireManager(engine, signal);
  const result: SwarmDisposeResult = { secrets: [], networks: [] };
  const service = await findService(engine, name, signal);
  if (service) {
    await engine.removeService(service.id, serviceFilter(name), signal);
    result.service = {
      id: service.id,
      name: service.name,
      version: service.labels['io.mastercopy.version'] ?? '',
    };
  }
  // The tasks' containers leave the network and let go of the secrets a moment after the service goes.
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const retry = async (remove: () => Promise<void>): Promise<void> => {
    for (;;) {
      try {
        return await remove();
      } catch (e) {
        if (!(e instanceof EngineRequestError) || Date.now() > deadline) throw e;
        await delay(250, signal);
      }
    }
  };
  for (const s of await engine.listSecrets(
    { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_SECRET },
    signal,
  )) {
    await retry(() => engine.removeSecret(s.id, { [LABEL_NAME]: name }, signal));
    result.secrets.push(s.name);
  }
  for (const n of await engine.listNetworks(
    { [LABEL_NAME]: name, [LABEL_ROLE]: ROLE_SWARM_NETWORK },
    signal,
  )) {
    await retry(() => engine.removeNetwork(n.id, { [LABEL_NAME]: name }, signal));
    result.networks.push(n.name);
  }
  return result;
}
