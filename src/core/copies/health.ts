// Is a copy ready? `health.http` is probed from this machine through the copy's published
// port (GET path: 2xx or 3xx is healthy); `health.command` runs inside the copy and the
// engine reports its status. Both follow Docker's rules: probe every `interval`, each
// probe may take `timeout`, failures during `startPeriod` do not count, `retries`
// consecutive failures after it make a copy unhealthy. So the wait is bounded.
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

export type HealthOutcome = { healthy: true } | { healthy: false; reason: string };

export interface HealthWaitOptions {
  signal?: AbortSignal;
  probe?: HttpProbe;
  /** Where published ports are reached; default 127.0.0.1. */
  probeHost?: string;
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
  const { signal } = options;
  const probe = options.probe ?? nodeHttpProbe;
  const started = Date.now();
  let failures = 0;
  let last = '';
  for (;;) {
    signal?.throwIfAborted();
    const details = await engine.inspectContainer(id, signal);
    const stopped = stoppedReason(details);
    if (stopped) return { healthy: false, reason: stopped };
    const published = details && tcpHostPort(details.ports, port);
    if (published === undefined) {
      last = `container port ${port}/tcp is not published`;
    } else {
      const status = await probe(
        { host: options.probeHost ?? '127.0.0.1', port: published, path },
        timing.timeoutMs,
        signal,
      );
      signal?.throwIfAborted();
      if (status !== undefined && status >= 200 && status < 400) return { healthy: true };
      last =
        status === undefined
          ? `GET ${path} on port ${published} got no answer within ${timing.timeoutMs} ms`
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
