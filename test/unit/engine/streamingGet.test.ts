// The HTTP/1.0 streaming GET used for logs, against a scripted server on a unix socket
// (the real engine's answers are covered by the engine suite's log tests).
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineClient } from '../../../src/core/engine/DockerodeEngineClient';
import { isAbortError, unreachableReason } from '../../../src/core/engine/errors';
import { resolveEngineHost } from '../../../src/core/engine/hostResolution';
import { readBody, streamingGet, streamingTarget } from '../../../src/core/engine/streamingGet';

/** A server on a fresh unix socket; `answer` gets each connection and the request's text. */
async function serve(
  answer: (socket: Socket, request: string) => void,
): Promise<{ path: string; server: Server }> {
  const path = join(mkdtempSync(join(tmpdir(), 'mc-sget-')), 'engine.sock');
  const server = createServer((socket) => {
    let request = '';
    socket.on('data', (d) => {
      request += d.toString('latin1');
      if (request.includes('\r\n\r\n')) answer(socket, request);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, server };
}

function collect(body: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    body.on('data', (d: Buffer) => parts.push(d));
    body.on('end', () => resolve(Buffer.concat(parts)));
    body.on('error', reject);
  });
}

describe('streamingGet (HTTP/1.0 streaming GET)', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('asks in HTTP/1.0 and gives the body whole, however the head and body are cut', async () => {
    const body = Buffer.concat([
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 3]),
      Buffer.from('hi\n'),
      Buffer.alloc(100_000, 0x61),
    ]);
    const answer = Buffer.concat([
      Buffer.from(
        'HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n',
      ),
      body,
    ]);
    let seen = '';
    for (const cut of [
      1,
      17,
      60,
      answer.length - body.length - 2,
      answer.length - body.length + 5,
    ]) {
      const { path, server } = await serve((socket, request) => {
        seen = request;
        socket.write(answer.subarray(0, cut));
        setImmediate(() => socket.end(answer.subarray(cut)));
      });
      servers.push(server);
      const r = await streamingGet(
        { socketPath: path },
        '/containers/abc/logs?follow=true',
        new AbortController().signal,
      );
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.41');
      assert.ok((await collect(r.body)).equals(body), `body intact when cut at ${cut}`);
    }
    assert.match(seen, /^GET \/containers\/abc\/logs\?follow=true HTTP\/1\.0\r\n/);
    assert.match(seen, /\r\nHost: docker\r\n/);
  });

  it("gives an error status and its body (the engine's JSON message)", async () => {
    const { path, server } = await serve((socket) =>
      socket.end(
        'HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"message":"No such container: abc"}\n',
      ),
    );
    servers.push(server);
    const r = await streamingGet(
      { socketPath: path },
      '/containers/abc/logs',
      new AbortController().signal,
    );
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(await readBody(r.body)), { message: 'No such container: abc' });
  });

  it('rejects as unreachable when nothing listens, or when the connection closes before an answer', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'mc-sget-')), 'none.sock');
    const e1 = await streamingGet(
      { socketPath: missing },
      '/x',
      new AbortController().signal,
    ).catch((e: unknown) => e);
    assert.equal(unreachableReason(e1), 'connect ENOENT');
    const { path, server } = await serve((socket) => socket.end());
    servers.push(server);
    const e2 = await streamingGet({ socketPath: path }, '/x', new AbortController().signal).catch(
      (e: unknown) => e,
    );
    assert.equal(unreachableReason(e2), 'read ECONNRESET');
  });

  it('rejects what is not HTTP', async () => {
    const { path, server } = await serve((socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    servers.push(server);
    await assert.rejects(
      streamingGet({ socketPath: path }, '/x', new AbortController().signal),
      /is not HTTP/,
    );
  });

  it('aborting before the answer rejects with an AbortError; after it, ends the body', async () => {
    let held: Socket | undefined;
    const { path, server } = await serve((socket) => (held = socket));
    servers.push(server);
    const ac = new AbortController();
    const pending = streamingGet({ socketPath: path }, '/x', ac.signal);
    while (!held) await new Promise((r) => setImmediate(r));
    ac.abort();
    await assert.rejects(pending, (e: unknown) => isAbortError(e));

    const { path: path2, server: server2 } = await serve((socket) =>
      socket.write('HTTP/1.0 200 OK\r\n\r\nfirst bytes'),
    );
    servers.push(server2);
    const ac2 = new AbortController();
    const r = await streamingGet({ socketPath: path2 }, '/x', ac2.signal);
    const closed = new Promise<void>((resolve) => r.body.on('close', resolve));
    r.body.resume();
    ac2.abort();
    await closed;
    assert.ok(r.body.destroyed);
  });

  it('is used for unix sockets and tcp (with TLS too, verifying as asked), not for ssh', () => {
    assert.deepEqual(
      streamingTarget({ dockerodeOptions: { socketPath: '/var/run/docker.sock' } }),
      { socketPath: '/var/run/docker.sock' },
    );
    assert.deepEqual(
      streamingTarget({ dockerodeOptions: { host: '10.0.0.2', port: 2375, protocol: 'http' } }),
      { host: '10.0.0.2', port: 2375 },
    );
    assert.deepEqual(
      streamingTarget({
        dockerodeOptions: {
          host: 'h',
          port: 2376,
          protocol: 'https',
          ca: 'CA',
          cert: 'C',
          key: 'K',
        },
        tls: { verify: true },
      }),
      {
        host: 'h',
        port: 2376,
        tls: { ca: 'CA', cert: 'C', key: 'K', rejectUnauthorized: true },
      },
    );
    const unverified = streamingTarget({
      dockerodeOptions: { host: 'h', port: 2376, protocol: 'https' },
      tls: { verify: false },
    });
    assert.ok(
      unverified && 'tls' in unverified && unverified.tls?.rejectUnauthorized === false,
      'DOCKER_TLS without verify: encrypted, not checked',
    );
    assert.equal(
      streamingTarget({ dockerodeOptions: { host: 'h', port: 22, protocol: 'ssh' } }),
      undefined,
    );
  });

  it('a server that chunks its answer anyway: the client asks again over HTTP/1.1 and gets the body decoded', async () => {
    const body = 'hello from the log\n';
    const requests: string[] = [];
    const { path, server } = await serve((socket, request) => {
      requests.push(request.split('\r\n')[0]);
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      );
    });
    servers.push(server);
    const client = createEngineClient(
      resolveEngineHost(`unix://${path}`, {
        env: {},
        homeDir: '/nonexistent',
        readFile: () => undefined,
        exists: () => false,
      }),
    );
    const inspected = { id: 'c0ffee', labels: { 'io.mastercopy.managed': 'true' }, tty: true };
    const { stream } = await client.logs('c0ffee', { inspected }, new AbortController().signal);
    assert.equal((await collect(stream)).toString(), body);
    assert.deepEqual(
      requests.map((r) => r.replace(/\?.*(?= HTTP)/, '')),
      ['GET /containers/c0ffee/logs HTTP/1.0', 'GET /containers/c0ffee/logs HTTP/1.1'],
    );
  });
});
