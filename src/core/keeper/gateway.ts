// The stable endpoint: a TCP listener that hands each new connection to a healthy copy of
// the active version. Pure networking: which copies exist and which are healthy is the
// Backends' business (fed by the engine); this only picks, connects and pipes.
//
// - A switch changes where *new* connections go; open ones are never cut.
// - A copy that refuses a connection gets no more until it is seen healthy again, and
//   the connection is tried on another copy: a client never sees a copy that just died.
// - With no copy to send it to (the keeper just started, the copies are restarting), a
//   connection waits up to `waitMs` for one before it is closed.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  id: string;
  version: string;
  index: number;
  /** Address on the master copy's network. */
  address: string;
  /** Takes new connections. */
  healthy: boolean;
  /** Connections open now. */
  open: number;
  /** Connections handed to it since it was seen. */
  served: number;
}

export interface BackendSource {
  /** Copies of the active version that take new connections. */
  routable(): Backend[];
  /** A connection to `backend` was refused: take it out until its health says otherwise. */
  refused(backend: Backend): void;
  /** Resolves when routable() may have changed. */
  changed(): Promise<void>;
}

export interface GatewayOptions {
  targetPort: number;
  /** How long a connection waits for a copy when there is none; default 10 s. */
  waitMs?: number;
  /** How many copies a connection is tried on before it is given up; default 3. */
  attempts?: number;
  /** How a copy is reached (tests); net.connect by default. */
  connect?: (port: number, address: string) => Socket;
}

export interface GatewayTotals {
  /** Connections handed to a copy. */
  served: number;
  /** Connections closed because no copy took them. */
  failed: number;
  open: number;
}

export class Gateway {
  readonly server: Server;
  private readonly totals: GatewayTotals = { served: 0, failed: 0, open: 0 };
  private readonly sockets = new Set<Socket>();
  private next = 0;

  constructor(
    private readonly backends: BackendSource,
    private readonly options: GatewayOptions,
  ) {
    this.server = createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (client) => void this.handle(client));
  }

  listen(port: number, host = '0.0.0.0'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  stats(): GatewayTotals {
    return { ...this.totals };
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The healthy copy with the fewest open connections; round robin among equals. */
  private pick(exclude: ReadonlySet<string>): Backend | undefined {
    const candidates = this.backends.routable().filter((b) => !exclude.has(b.id));
    if (candidates.length === 0) return undefined;
    const least = Math.min(...candidates.map((b) => b.open));
    const tied = candidates.filter((b) => b.open === least);
    return tied[this.next++ % tied.length];
  }

  private async handle(client: Socket): Promise<void> {
    this.sockets.add(client);
    this.totals.open++;
    let clientGone = false;
    client.once('close', () => {
      clientGone = true;
      this.sockets.delete(client);
      this.totals.open--;
    });
    client.on('error', () => undefined);
    const tried = new Set<string>();
    const attempts = this.options.attempts ?? 3;
    const deadline = Date.now() + (this.options.waitMs ?? 10_000);
    while (!clientGone && tried.size < attempts) {
      const backend = this.pick(tried);
      if (!backend) {
        if (Date.now() >= deadline || tried.size > 0) break;
        await Promise.race([this.backends.changed(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
        continue;
      }
      tried.add(backend.id);
      const upstream = await this.open(backend);
      if (!upstream) {
        this.backends.refused(backend);
        continue;
      }
      if (clientGone) {
        upstream.destroy();
        return;
      }
      this.pipe(client, upstream, backend);
      return;
    }
    this.totals.failed++;
    client.destroy();
  }

  private open(backend: Backend): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = (this.options.connect ?? ((port, address) => connect({ port, host: address, noDelay: true, allowHalfOpen: true })))(this.options.targetPort, backend.address);
      const fail = () => {
        socket.destroy();
        resolve(undefined);
      };
      socket.once('error', fail);
      socket.setTimeout(3000, fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        resolve(socket);
      });
    });
  }

  private pipe(client: Socket, upstream: Socket, backend: Backend): void {
    this.totals.served++;
    backend.served++;
    backend.open++;
    this.sockets.add(upstream);
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      backend.open--;
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', done);
    upstream.on('close', done);
    client.on('close', done);
    // Half-close is passed on: an HTTP/1.0 client that ends its request still gets the answer.
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
