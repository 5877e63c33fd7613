// Endpoints with nothing behind them, over each way the client connects: the answer is
// EngineUnreachableError naming the host. For ssh:// this also proves the bundle's lazily
// loaded ssh2 (scripts/esbuild/lightDockerode.mjs) is there and works when first needed.
import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createEngineClient } from '../../../src/core/engine/DockerodeEngineClient';
import { EngineUnreachableError } from '../../../src/core/engine/errors';
import { resolveEngineHost } from '../../../src/core/engine/hostResolution';

/** A local port nothing listens on (taken from the OS, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function clientFor(host: string) {
  return createEngineClient(
    resolveEngineHost(host, {
      env: {},
      homeDir: '/nonexistent',
      readFile: () => undefined,
      exists: () => false,
    }),
  );
}

describe('unreachable engine endpoints', () => {
  it('ssh:// — ssh2 loads on first use, and a refused connection is "not reachable"', async () => {
    const port = await closedPort();
    const client = clientFor(`ssh://nobody@127.0.0.1:${port}`);
    await assert.rejects(
      client.ping(),
      (e: unknown) =>
        e instanceof EngineUnreachableError &&
        e.message.includes(`ssh://nobody@127.0.0.1:${port}`) &&
        /ECONNREFUSED/.test(e.message),
    );
  });

  it('tcp:// — a log request on its own connection is "not reachable" too', async () => {
    const port = await closedPort();
    const client = clientFor(`tcp://127.0.0.1:${port}`);
    const inspected = { id: 'c0ffee', labels: { 'io.mastercopy.managed': 'true' }, tty: false };
    await assert.rejects(
      client.logs('c0ffee', { inspected }, new AbortController().signal),
      (e: unknown) => e instanceof EngineUnreachableError && /ECONNREFUSED/.test(e.message),
    );
  });
});
