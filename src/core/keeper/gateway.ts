// The stable endpoint: a TCP listener that hands each new connection to a healthy copy of
// the active version. Pure networking: which copies exist and which are healthy is the
// Backends' business (fed by the engine); this only picks, connects and pipes.
//
// - A switch changes where *new* connections go; open ones are never cut.
// - A copy that refuses a connection gets no more until it is seen healthy again, and
//   the connection is tried on another copy: a client never sees a copy that just died.
// - With no copy to send it to (the keeper just started, the copies are restarting), a
//   connection waits up to `waitMs` for one before it is closed.
// - A GET (HEAD, OPTIONS) whose copy dies before its answer got through is sent again to
//   another copy, like HAProxy's `retry-on empty-response`; nothing else is ever replayed.
//   To know, the first bytes of such an answer are held back for at most HOLD_MS.
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
  /** Connections handed to a copy (a replayed one counts again). */
  served: number;
  /** Requests sent again to another copy because theirs died before answering. */
  replayed: number;
  /** Connections closed because no copy took them. */
  failed: number;
  open: number;
}

export class Gateway {
  readonly server: Server;
  private readonly totals: GatewayTotals = { served: 0, replayed: 0, failed: 0, open: 0 };
  private readonly sockets = new Set<Socket>();
  private next = 0;

  constructor(
    private readonly backends: BackendSource,
    private readonly options: GatewayOptions,
  ) {
    this.server = createServer(
      { noDelay: true, pauseOnConnect: true, allowHalfOpen: true },
      (client) => void this.handle(client),
    );
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
    const state: ClientState = {
      gone: false,
      ended: false,
      sent: [],
      sentBytes: 0,
      replayable: true,
      tried: new Set(),
      attempts: 0,
    };
    client.once('close', () => {
      state.gone = true;
      this.sockets.delete(client);
      this.totals.open--;
    });
    client.once('end', () => (state.ended = true));
    client.on('error', () => undefined);
    // What the client sends is kept until the copy answers: a GET whose copy dies before
    // answering a single byte is sent again to another copy (see replay()).
    client.on('data', (chunk: Buffer) => {
      if (!state.replayable) return;
      state.sent.push(chunk);
      state.sentBytes += chunk.length;
      if (state.sentBytes > REPLAY_LIMIT) forgetReplay(state);
    });
    if (!(await this.dispatch(client, state))) {
      this.totals.failed++;
      client.destroy();
    }
  }

  /**
   * Hands the client to a copy (trying up to `attempts`), preferring copies it has not
   * tried; with none to take it (all died at once), it waits for one up to `waitMs`.
   * False when none took it.
   */
  private async dispatch(client: Socket, state: ClientState): Promise<boolean> {
    const attempts = this.options.attempts ?? 3;
    const deadline = Date.now() + (this.options.waitMs ?? 10_000);
    while (!state.gone && state.attempts < attempts) {
      const backend = this.pick(state.tried) ?? this.pick(new Set());
      if (!backend) {
        if (Date.now() >= deadline) return false;
        await Promise.race([
          this.backends.changed(),
          new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
        ]);
        continue;
      }
      state.tried.add(backend.id);
      state.attempts++;
      const upstream = await this.open(backend);
      if (!upstream) {
        this.backends.refused(backend);
        continue;
      }
      if (state.gone) {
        upstream.destroy();
        return true;
      }
      this.pipe(client, upstream, backend, state);
      return true;
    }
    return false;
  }

  private open(backend: Backend): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = (
        this.options.connect ??
        ((port, address) => connect({ port, host: address, noDelay: true, allowHalfOpen: true }))
      )(this.options.targetPort, backend.address);
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

  private pipe(client: Socket, upstream: Socket, backend: Backend, state: ClientState): void {
    this.totals.served++;
    backend.served++;
    backend.open++;
    this.sockets.add(upstream);
    let answered = false;
    let finished = false;
    // While the request could still go to another copy, the first bytes of the answer are
    // held back (until the copy closes, HOLD_BYTES, or HOLD_MS): a copy that dies halfway
    // through a short answer is then replayed, not a half answer handed to the client.
    let holding = canReplay(state);
    const held: Buffer[] = [];
    let heldBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const release = () => {
      if (!holding) return;
      holding = false;
      clearTimeout(timer);
      upstream.off('data', hold);
      if (held.length) {
        answered = true;
        forgetReplay(state);
      }
      for (const chunk of held.splice(0)) client.write(chunk);
      stream();
    };
    const stream = () => {
      upstream.on('data', () => {
        answered = true;
        forgetReplay(state);
      });
      upstream.pipe(client, { end: false });
    };
    const hold = (chunk: Buffer) => {
      held.push(chunk);
      heldBytes += chunk.length;
      timer ??= setTimeout(release, HOLD_MS);
      if (heldBytes >= HOLD_BYTES) release();
    };
    const finish = (how: 'end' | 'reset') => {
      if (finished) return;
      // A copy that dies closes its connections like one that is done: an HTTP answer shorter
      // than it says it is was cut short, and goes no further while the GET can be replayed.
      if (how === 'end' && holding && cutShort(held)) {
        held.length = 0;
        how = 'reset';
      }
      if (how === 'end') release(); // the copy closed in good order: all it said goes through
      finished = true;
      clearTimeout(timer);
      backend.open--;
      this.sockets.delete(upstream);
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.destroy();
      if (state.gone) return;
      if (!answered && canReplay(state)) {
        // The copy went away before its answer got through (it died): a GET goes to another one.
        this.backends.refused(backend);
        void this.replay(client, state);
      } else if (how === 'end') {
        client.end(); // after what was piped: nothing of the answer is lost
      } else {
        client.destroy();
      }
    };
    upstream.once('end', () => finish('end'));
    upstream.on('error', () => finish('reset'));
    upstream.once('close', () => finish('reset'));
    client.once('close', () => upstream.destroy());
    for (const chunk of state.sent) upstream.write(chunk);
    // Half-close is passed on: an HTTP/1.0 client that ends its request still gets the answer.
    if (state.ended) upstream.end();
    else client.pipe(upstream);
    if (holding) upstream.on('data', hold);
    else stream();
    client.resume();
  }

  private async replay(client: Socket, state: ClientState): Promise<void> {
    this.totals.replayed++;
    if (!(await this.dispatch(client, state))) {
      this.totals.failed++;
      client.destroy();
    }
  }
}

/** Bytes of a request kept for a replay; a longer request is never sent twice. */
const REPLAY_LIMIT = 64 * 1024;
/** How much of a replayable request's answer is held back, and for how long at most. */
const HOLD_BYTES = 64 * 1024;
const HOLD_MS = 20;

interface ClientState {
  gone: boolean;
  /** The client half-closed (sent all it will send). */
  ended: boolean;
  /** What the client sent so far, while it may still be replayed. */
  sent: Buffer[];
  sentBytes: number;
  replayable: boolean;
  tried: Set<string>;
  /** Copies it was handed to (or tried on), replays included. */
  attempts: number;
}

function forgetReplay(state: ClientState): void {
  state.replayable = false;
  state.sent = [];
}

/**
 * Only connections on which the client has sent nothing yet, and requests that are safe
 * to send twice: HTTP GET, HEAD or OPTIONS (idempotent and
 * safe by RFC 9110), whole (the header block ended), under REPLAY_LIMIT. Anything else —
 * a POST, a protocol we do not know — is never replayed: its copy may have acted on it.
 */
function canReplay(state: ClientState): boolean {
  if (!state.replayable) return false;
  // The copy went before the client said anything: nothing can have happened, try another.
  if (state.sentBytes === 0) return true;
  const head = Buffer.concat(state.sent).toString('latin1');
  return (
    /^(GET|HEAD|OPTIONS) \S+ HTTP\/1\.[01]\r\n/.test(head) &&
    head.includes('\r\n\r\n') &&
    !/\r\n(content-length|transfer-encoding):/i.test(head.slice(0, head.indexOf('\r\n\r\n')))
  );
}

/**
 * Is this (whole, as the copy closed after it) HTTP/1.x answer shorter than its own framing
 * says: fewer body bytes than Content-Length, a head that never ended, or a chunked body
 * without its last chunk? Not HTTP, or delimited by the close itself: false.
 */
export function cutShort(chunks: readonly Buffer[]): boolean {
  if (chunks.length === 0) return false;
  const text = Buffer.concat(chunks).toString('latin1');
  if (!/^HTTP\/1\.[01] \d{3}/.test(text)) return false;
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return true;
  const head = text.slice(0, end);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return text.length - end - 4 < Number(length[1]);
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head))
    return !/\r\n0\r\n(?:[^\r]*\r\n)*\r\n$/.test(text.slice(end + 2));
  return false;
}
