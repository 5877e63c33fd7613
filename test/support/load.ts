// A bounded load loop for the zero-downtime tests: a fixed number of HTTP GETs to one
// loopback port, `parallel` at a time, each on its own connection; it stops by itself
// after `total` requests or `deadlineMs`, whichever comes first.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** The first few failures, for the assertion message. */
  errors: string[];
  /** What each successful answer said (the `<h1>` of the page), in the order they completed. */
  bodies: string[];
}

export interface LoadLoop {
  /** Resolves when every request has finished. */
  done: Promise<LoadResult>;
  /** Stops sending (requests in flight still finish). */
  stop(): void;
  /** Successful answers so far. */
  okSoFar(): number;
}

export function loadLoop(
  port: number,
  { total = 4000, parallel = 6, deadlineMs = 60_000, path = '/' } = {},
): LoadLoop {
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, errors: [], bodies: [] };
  const deadline = Date.now() + deadlineMs;
  let stopped = false;
  const one = (): Promise<void> => {
    if (stopped || result.sent >= total || Date.now() > deadline) return Promise.resolve();
    result.sent++;
    return new Promise<void>((resolve) => {
      const fail = (why: string) => {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(why);
        resolve();
      };
      const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('error', (e) => fail(e.message));
        res.on('end', () => {
          if (res.statusCode !== 200) return fail(`status ${res.statusCode}`);
          result.ok++;
          result.bodies.push(/<h1>(.*?)<\/h1>/.exec(body)?.[1] ?? body.slice(0, 40));
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', (e) => fail(e.message));
      req.end();
    }).then(one);
  };
  const done = Promise.all(Array.from({ length: parallel }, one)).then(() => result);
  return { done, stop: () => (stopped = true), okSoFar: () => result.ok };
}

/** A port nothing listens on right now (the engine publishes on it next). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `n` connections opened to a loopback port and held, idle (through an endpoint each counts as open). */
export function holdConnections(port: number, n: number): Promise<Socket[]> {
  const one = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
  return Promise.all(Array.from({ length: n }, one));
}
