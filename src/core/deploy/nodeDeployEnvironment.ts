// The DeployEnvironment of a real process: who runs it, this host's processes for stale
// locks, git, the file system. The CLI and the editor build theirs from this.
import { hostname, userInfo } from 'node:os';
import { nodeReadSecretFile } from '../copies/secrets';
import type { EngineClient } from '../engine/EngineClient';
import { DEFAULT_ENGINE_SOCKET, type KeeperSettings } from '../keeper/keeperContainer';
import { healthProberFor } from '../keeper/probeContainer';
import { gitState } from './gitState';
import type { LockDeps } from './ledger';
import type { DeployEnvironment } from './promote';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** The engine's socket as its own host sees it: the unix path we talk to, else the usual one. */
export function engineSocketFor(engine: EngineClient): string {
  const m = /^unix:\/\/(\/.+)$/.exec(engine.endpoint.host);
  return m ? m[1] : DEFAULT_ENGINE_SOCKET;
}

/** How this process tells a stale deploy lock: this host's processes, this process, the clock. */
export function nodeLockDeps(): LockDeps {
  return { processAlive, hostName: hostname(), pid: process.pid, now: () => Date.now() };
}

export function nodeDeployEnvironment(
  engine: EngineClient,
  env: Readonly<Record<string, string | undefined>>,
  keeper: Omit<KeeperSettings, 'engineSocket'> & { engineSocket?: string },
  extraLabels?: Record<string, string>,
): DeployEnvironment {
  const keeperSettings: KeeperSettings = {
    ...keeper,
    engineSocket: keeper.engineSocket ?? engineSocketFor(engine),
    extraLabels: { ...extraLabels, ...keeper.extraLabels },
  };
  return {
    who: { user: userName(), host: hostname(), pid: process.pid },
    lock: nodeLockDeps(),
    git: gitState,
    keeper: keeperSettings,
    // A remote engine's copies are not on this machine's loopback: probed from their network.
    prober: healthProberFor(engine, keeperSettings),
    env,
    readFile: nodeReadSecretFile,
    extraLabels,
  };
}
