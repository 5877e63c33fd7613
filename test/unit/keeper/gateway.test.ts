// The endpoint's forwarding on loopback: backends are tiny TCP servers on 127.0.0.x (all
// of 127/8 is loopback on Linux), each answering with its own name.
import * as assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  Gateway,
  cutShort,
  type Backend,
  type BackendSource,
} from '../../../src/core/keeper/gateway';

/** The copies' port, the same on every 127.0.0.x: a free one, taken when the first copy starts. */
let PORT = 0;

class Source implements BackendSource {
  backends: Backend[] = [];
  refusedIds: string[] = [];
  private waiters: (() => void)[] = [];
  routable(): Backend[] {
    return this.backends.filter((b) => b.healthy);
  }
  refused(b: Backend): void {
    this.refusedIds.push(b.id);
    b.healthy = false;
  }
  changed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  set(backends: Backend[]): void {
    this.backends = backends;
    for (const w of this.waiters.splice(0)) w();
  }
}

function backend(id: string, address: string): Backend {
  return { id, version: '1', index: 0, address, healthy: true, open: 0, served: 0 };
}

/** Answers "NAME:" + each line it gets, until the client ends. */
function echo(name: string, address: string): Promise<Server> {
  const server = createServer((s) => {
    s.setEncoding('utf8');
    s.on('data', (d: string) => s.write(`${name}:${d}`));
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(PORT, address, () => {
      PORT = (server.address() as { port: number }).port;
      resolve(server);
    }),
  );
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.setEncoding('utf8');
    s.once('error', reject);
  });
}

function ask(s: Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once('data', (d: string) => resolve(d));
    s.once('error', reject);
    s.write(line);
  });
}

describe('keeper gateway (loopback)', () => {
  const servers: Server[] = [];
  const gateways: Gateway[] = [];

  async function start(source: Source, waitMs = 2000): Promise<{ gateway: Gateway; port: number }> {
    const gateway = new Gateway(source, { targetPort: PORT, waitMs });
    await gateway.listen(0, '127.0.0.1');
    const port = (gateway.server.address() as { port: number }).port;
    gateways.push(gateway);
    return { gateway, port };
  }

  before(async () => {
    servers.push(await echo('a', '127.0.0.2'), await echo('b', '127.0.0.3'));
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('spreads new connections over the healthy copies, fewest open connections first', async () => {
    const source = new Source();
    source.set([backend('a', '127.0.0.2'), backend('b', '127.0.0.3')]);
    const { port, gateway } = await start(source);
    const s1 = await open(port);
    const s2 = await open(port);
    const answers = [await ask(s1, 'x\n'), await ask(s2, 'y\n')];
    assert.deepEqual(answers.map((a) => a[0]).sort(), ['a', 'b']);
    assert.deepEqual(
      source.backends.map((b) => b.open),
      [1, 1],
    );
    s1.destroy();
    s2.destroy();
    assert.equal(gateway.stats().served, 2);
  });

  it('a switch sends new connections to the new copies and never cuts an open one', async () => {
    const source = new Source();
    const a = backend('a', '127.0.0.2');
    source.set([a]);
    const { port } = await start(source);
    const old = await open(port);
    assert.equal(await ask(old, '1\n'), 'a:1\n');
    source.set([backend('b', '127.0.0.3')]);
    const fresh = await open(port);
    assert.equal(await ask(fresh, '2\n'), 'b:2\n');
    assert.equal(await ask(old, '3\n'), 'a:3\n', 'the open connection still reaches the old copy');
    old.destroy();
    fresh.destroy();
  });

  it('a copy that refuses is taken out and the connection is tried on another: the client sees no failure', async () => {
    const source = new Source();
    source.set([backend('dead', '127.0.0.9'), backend('a', '127.0.0.2')]);
    const { port, gateway } = await start(source);
    for (let i = 0; i < 3; i++) {
      const s = await open(port);
      assert.equal(await ask(s, `${i}\n`), `a:${i}\n`);
      s.destroy();
    }
    assert.deepEqual(source.refusedIds, ['dead']);
    assert.equal(gateway.stats().failed, 0);
  });

  it('with no copy yet a connection waits for one (and is closed after waitMs when none comes)', async () => {
    const source = new Source();
    const { port, gateway } = await start(source, 300);
    const lonely = await open(port);
    const closed = new Promise<void>((r) => lonely.once('close', () => r()));
    await closed;
    assert.equal(gateway.stats().failed, 1);

    const { port: port2 } = await start(source, 5000);
    const waiting = await open(port2);
    const answer = ask(waiting, 'late\n');
    source.set([backend('b', '127.0.0.3')]);
    assert.equal(await answer, 'b:late\n');
    waiting.destroy();
  });

  it('a GET whose copy dies before answering is sent to another copy; a POST never is', async () => {
    // "dies" reads the request, then drops the connection without a byte of answer.
    const dies = createServer((sock) => {
      sock.once('data', () => sock.destroy());
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => dies.listen(PORT, '127.0.0.5', r));
    servers.push(dies);
    const answers = createServer((sock) => {
      sock.once('data', () => sock.end('HTTP/1.0 200 OK\r\n\r\nfrom-ok'));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => answers.listen(PORT, '127.0.0.6', r));
    servers.push(answers);
    const source = new Source();
    const request = async (port: number, text: string) => {
      const s = await open(port);
      let got = '';
      s.on('data', (d: string) => (got += d));
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.write(text);
      });
      return got;
    };
    // Round robin over equals starts with the first: the dying copy gets each request first.
    source.set([backend('dies', '127.0.0.5'), backend('ok', '127.0.0.6')]);
    const { port, gateway } = await start(source);
    assert.equal(
      await request(port, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n'),
      'HTTP/1.0 200 OK\r\n\r\nfrom-ok',
    );
    assert.equal(gateway.stats().replayed, 1);
    assert.deepEqual(source.refusedIds, ['dies']);

    source.refusedIds = [];
    source.set([backend('dies', '127.0.0.5'), backend('ok', '127.0.0.6')]);
    assert.equal(
      await request(port, 'POST /pay HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}'),
      '',
      'a POST is not sent twice: the client sees its copy fail',
    );
    assert.equal(gateway.stats().replayed, 1);
  });

  it('a GET whose copy dies halfway through its answer is replayed: the client never sees half an answer', async () => {
    const half = createServer((sock) => {
      // Head and part of the body, then gone: as a killed copy's connection ends.
      sock.once('data', () => sock.end('HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nhal'));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => half.listen(PORT, '127.0.0.7', r));
    servers.push(half);
    const source = new Source();
    source.set([backend('half', '127.0.0.7'), backend('ok', '127.0.0.6')]);
    const { port, gateway } = await start(source);
    const s = await open(port);
    let got = '';
    s.on('data', (d: string) => (got += d));
    await new Promise<void>((r) => {
      s.once('close', () => r());
      s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    });
    assert.equal(got, 'HTTP/1.0 200 OK\r\n\r\nfrom-ok');
    assert.equal(gateway.stats().replayed, 1);
  });

  it('cutShort tells an answer cut short by its framing, and leaves close-delimited ones alone', () => {
    const b = (t: string) => [Buffer.from(t, 'latin1')];
    assert.equal(cutShort(b('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc')), false);
    assert.equal(cutShort(b('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc')), true);
    assert.equal(cutShort(b('HTTP/1.1 200 OK\r\nContent-')), true);
    assert.equal(
      cutShort(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')),
      false,
    );
    assert.equal(
      cutShort(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')),
      true,
    );
    assert.equal(cutShort(b('HTTP/1.0 200 OK\r\n\r\nuntil the close')), false);
    assert.equal(cutShort(b('SSH-2.0-OpenSSH')), false);
  });

  it('a client that half-closes still gets the whole answer', async () => {
    const source = new Source();
    source.set([backend('a', '127.0.0.2')]);
    const { port } = await start(source);
    const s = await open(port);
    let got = '';
    s.on('data', (d: string) => (got += d));
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    s.end('bye\n');
    await ended;
    assert.equal(got, 'a:bye\n');
  });
});
