// Health judged where a remote engine's copies run. Their ports are published on the engine
// host's 127.0.0.1, which a client elsewhere cannot reach (and its own 127.0.0.1 may answer
// for something else): so each `health.http` probe is a short-lived container on the master
// copy's network — the keeper's image in its one-shot `probe` mode (keeperMain.ts) — that
// GETs the copy at its address on that network and its container port.
//
// Cost: one container per probe attempt (create, start, wait, read its output, remove: five
// engine requests and a Node start, about 0.3 s on a local engine and more through ssh, where
// each request is a connection of its own) per copy and health interval. A health wait is
// short and bounded, and nothing long-lived is left to clean up: simplicity wins here.
import type { ContainerSpec, EngineClient } from '../engine/EngineClient';
import { EngineBuildError, isAbortError } from '../engine/errors';
import { isLocalEngine } from '../engine/hostResolution';
import { LABEL_ROLE } from '../engine/labels';
import { CopiesError } from '../copies/errors';
import { publishedPortProber, type HealthProber, type ProbeAttempt } from '../copies/health';
import { ensureKeeperImage, KeeperError, type KeeperSettings } from './keeperContainer';

export const ROLE_PROBE = 'probe';
/** On a probe container: the id of the copy it probes. */
export const LABEL_PROBE_OF = 'io.mastercopy.probe-of';
/** What a probe container gets beyond the probe's own timeout, to start Node and end. */
const CONTAINER_OVERHEAD_MS = 15_000;
const PROBE_MEMORY_BYTES = 128 * 1024 ** 2;

/** The prober for this engine: through published ports when it is local, from the copies' network when not. */
export function healthProberFor(engine: EngineClient, keeper: KeeperSettings): HealthProber {
  return isLocalEngine(engine.endpoint) ? publishedPortProber() : networkProber(engine, keeper);
}

/** Probes from the copy's network, in a probe container of the keeper's image (built on first use). */
export function networkProber(engine: EngineClient, keeper: KeeperSettings): HealthProber {
  let image: Promise<string> | undefined;
  const ensureImage = (signal?: AbortSignal) =>
    (image ??= ensureKeeperImage(engine, keeper, signal).catch((e: unknown) => {
      image = undefined; // asked again next time (the base image may have come)
      throw explain(engine, e);
    }));
  return {
    async prepare(signal) {
      await ensureImage(signal);
    },
    async probeHttp({ details, port, path, network }, timeoutMs, signal): Promise<ProbeAttempt> {
      const address = network && details.addresses[network.name];
      if (!network || !address)
        return {
          unreachable: `the copy has no address on ${network ? `the network ${network.name}` : 'its network'}`,
        };
      const spec = probeContainerSpec(await ensureImage(signal), {
        copyId: details.id,
        networkId: network.id,
        address,
        port,
        path,
        timeoutMs,
        extraLabels: keeper.extraLabels,
      });
      const run = await engine.runToCompletion(
        spec,
        { timeoutMs: timeoutMs + CONTAINER_OVERHEAD_MS },
        signal,
      );
      const where = `${address}:${port} (from a probe container on ${network.name})`;
      const out = run.stdout.trim();
      // Exit 0 or 1 is the probe's verdict; anything else is the probe container failing.
      if (run.exitCode === 0 || run.exitCode === 1)
        return { status: /^\d{3}$/.test(out) ? Number(out) : undefined, where };
      const why = (run.stderr.trim() || out).split('\n')[0].slice(0, 200);
      return {
        unreachable:
          run.exitCode === undefined
            ? `the probe container did not end within ${timeoutMs + CONTAINER_OVERHEAD_MS} ms`
            : `the probe container failed (exit ${run.exitCode})${why ? `: ${why}` : ''}`,
      };
    },
  };
}

/** One probe: ours, hardened like a copy, on the copy's network by id; its values are exec-form arguments, never a shell's. */
export function probeContainerSpec(
  image: string,
  target: {
    copyId: string;
    networkId: string;
    address: string;
    port: number;
    path: string;
    timeoutMs: number;
    extraLabels?: Record<string, string>;
  },
): ContainerSpec {
  return {
    image,
    labels: { ...target.extraLabels, [LABEL_ROLE]: ROLE_PROBE, [LABEL_PROBE_OF]: target.copyId },
    command: ['probe', target.address, String(target.port), target.path, String(target.timeoutMs)],
    readOnly: true,
    capDrop: ['ALL'],
    capAdd: [],
    noNewPrivileges: true,
    memoryBytes: PROBE_MEMORY_BYTES,
    restart: 'no',
    network: target.networkId,
  };
}

/** No keeper image, no judging: said plainly, never answered by probing this machine instead. */
function explain(engine: EngineClient, e: unknown): unknown {
  if (isAbortError(e) || !(e instanceof KeeperError || e instanceof EngineBuildError)) return e;
  return new CopiesError(
    `The engine ${engine.endpoint.host} is not on this machine, so its copies' health is probed from their network ` +
      `by a probe container of the keeper's image, and that image cannot be had: ${e.message}`,
    { cause: e },
  );
}
