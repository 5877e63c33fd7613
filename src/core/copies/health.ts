// Is a copy ready? `health.http` is a GET of the path (2xx or 3xx is healthy), sent from
// where the copy can be reached: a HealthProber says from where — through the published
// port from this machine when the engine is local, else from the copy's network on the
// engine's host (src/core/keeper/probeContainer.ts), never this client's loopback then.
// `health.command` runs inside the copy and the engine reports its status. Both follow
// Docker's rules: probe every `interval`, each probe may take `timeout`, failures during
// `startPeriod` do not count, `retries` consecutive failures after it make a copy
// unhealthy. So the wait is bounded.
import { request } from 'node:http';
import type { ContainerDetails, EngineClient, PublishedPort } from '../engine/EngineClient';
import type { MasterCopy } from '../mastercopy/model';
import { delay } from '../util/delay';
import { healthTiming, HTTP_PROBE_PATH, type HealthTiming } from './spec';

/** One GET; resolves to the status code, or undefined when there was no answer in time. */
export type HttpProbe = (
  url: { host: string; port: number; path: string },
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<number | undefined>;

export const nodeHttpProbe: HttpProbe = (url, timeoutMs, signal) =>
  new Promise((resolve) => {
    // A path no request can carry (from a label an older version wrote) fails the probe: it never throws.
    if (!HTTP_PROBE_PATH.test(url.path)) return resolve(undefined);
    const req = request(
      {
        host: url.host,
        port: url.port,
        path: url.path,
        method: 'GET',
        timeout: timeoutMs,
        signal,
        headers: { 'user-agent': 'mastercopy-health' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });

/** What one HTTP probe of a copy saw: the status (undefined: no answer in time) and where it was sent, or why it could not be. */
export type ProbeAttempt = { status: number | undefined; where: string } | { unreachable: string };

/** The copy one probe is for: as just inspected, with the container port and path to GET. */
export interface ProbeTarget {
  details: ContainerDetails;
  port: number;
  path: string;
  /** The master copy's network the copy is on (by id; its address there is under the name). */
  network?: { id: string; name: string };
}

/**
 * Where `health.http` is probed from. A dependency of the health wait, so that the front end
 * (which knows the engine and the keeper's image) chooses it: never a global.
 */
export interface HealthProber {
  /** Gets what probing needs before any copy starts (an image), so that a print can fail before it starts anything. */
  prepare?(signal?: AbortSignal): Promise<void>;
  /** One GET; never throws for a copy that does not answer (AbortError when `signal` aborts). */
  probeHttp(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeAttempt>;
}

/** Through the copy's published port, from this machine: only right when the engine is local. */
export function publishedPortProber(
  probe: HttpProbe = nodeHttpProbe,
  host = '127.0.0.1',
): HealthProber {
  return {
    async probeHttp({ details, port, path }, timeoutMs, signal) {
      const published = tcpHostPort(details.ports, port);
      if (published === undefined)
        return { unreachable: `container port ${port}/tcp is not published` };
      const status = await probe({ host, port: published, path }, timeoutMs, signal);
      return { status, where: `port ${published}` };
    },
  };
}

export type HealthOutcome = { healthy: true } | { healthy: false; reason: string };

export interface HealthWaitOptions {
  signal?: AbortSignal;
  /** Where `health.http` is probed from; default publishedPortProber(probe, probeHost). */
  prober?: HealthProber;
  probe?: HttpProbe;
  /** Where published ports are reached; default 127.0.0.1. */
  probeHost?: string;
  /** The copy's network, for a prober that probes from there. */
  network?: { id: string; name: string };
}

/** Resolves to whether copy `id` became healthy, following `mc.health`'s rules. AbortError when `signal` aborts. */
export async function waitForHealth(
  engine: EngineClient,
  mc: MasterCopy,
  id: string,
  options: HealthWaitOptions = {},
): Promise<HealthOutcome> {
  const health = mc.health;
  if (!health) return { healthy: true };
  const timing = healthTiming(health);
  if (health.http)
    return waitForHttp(engine, id, health.http.port, health.http.path ?? '/', timing, options);
  return waitForEngineHealth(engine, id, timing, options.signal);
}

async function waitForHttp(
  engine: EngineClient,
  id: string,
  port: number,
  path: string,
  timing: HealthTiming,
  options: HealthWaitOptions,
): Promise<HealthOutcome> {
  const { signal, network } = options;
  const prober = options.prober ?? publishedPortProber(options.probe, options.probeHost);
  const started = Date.now();
  let failures = 0;
  let last = '';
  for (;;) {
    signal?.throwIfAborted();
    const details = await engine.inspectContainer(id, signal);
    const stopped = stoppedReason(details);
    if (stopped || !details) return { healthy: false, reason: stopped ?? 'the copy is gone' };
    const attempt = await prober.probeHttp(
      { details, port, path, network },
      timing.timeoutMs,
      signal,
    );
    signal?.throwIfAborted();
    if ('unreachable' in attempt) {
      last = attempt.unreachable;
    } else {
      const { status } = attempt;
      if (status !== undefined && status >= 200 && status < 400) return { healthy: true };
      last =
        status === undefined
          ? `GET ${path} on ${attempt.where} got no answer within ${timing.timeoutMs} ms`
          : `GET ${path} answered ${status}`;
    }
    if (Date.now() - started >= timing.startPeriodMs && ++failures >= timing.retries) {
      return {
        healthy: false,
        reason: `${failures} probe${failures === 1 ? '' : 's'} in a row failed after the start period; the last: ${last}`,
      };
    }
    await delay(timing.intervalMs, signal);
  }
}

async function waitForEngineHealth(
  engine: EngineClient,
  id: string,
  timing: HealthTiming,
  signal?: AbortSignal,
): Promise<HealthOutcome> {
  // The engine applies the rules itself; the deadline only guards against a check that never reports.
  const deadline =
    Date.now() +
    timing.startPeriodMs +
    (timing.retries + 1) * (timing.intervalMs + timing.timeoutMs) +
    5000;
  const poll = Math.min(250, timing.intervalMs);
  for (;;) {
    const details = await engine.inspectContainer(id, signal);
    const stopped = stoppedReason(details);
    if (stopped) return { healthy: false, reason: stopped };
    if (details?.health === 'healthy') return { healthy: true };
    if (details?.health === 'unhealthy')
      return {
        healthy: false,
        reason: `the health command failed ${timing.retries} times in a row`,
      };
    if (details && details.health === undefined)
      return { healthy: false, reason: 'the copy has no health check' };
    if (Date.now() > deadline)
      return { healthy: false, reason: 'the engine never reported it healthy' };
    await delay(poll, signal);
  }
}

export function stoppedReason(details: ContainerDetails | undefined): string | undefined {
  if (!details) return 'the copy is gone';
  if (details.running || details.status === 'restarting') return undefined;
  return (
    `the copy stopped (${details.status}, exit code ${details.exitCode}` +
    `${details.restartCount ? `, restarted ${details.restartCount} times` : ''})`
  );
}

/** The host port a container port is published on, over TCP. */
export function tcpHostPort(
  ports: readonly PublishedPort[],
  containerPort: number,
): number | undefined {
  return ports.find(
    (p) => p.containerPort === containerPort && p.protocol === 'tcp' && p.hostPort !== undefined,
  )?.hostPort;
}
