// A long streaming GET to the engine (a log), asked in HTTP/1.0 on a socket of its own.
//
// Why not through dockerode: over HTTP/1.1 the engine sends a log as chunked encoding
// and flushes after every message, so each ~100-byte line is an HTTP chunk, and Node's
// HTTP parser hands each to JavaScript separately: ~40 % of a log reader's CPU went there.
// Asked in HTTP/1.0, the engine cannot chunk: after the headers the body is the raw stream
// until it closes the connection, and the socket delivers it in reads of up to 64 KB.
// Only the status line and headers are parsed here; the body is the socket itself.
//
// Used for endpoints reached by a socket of our own: unix socket, Windows named pipe, tcp,
// tcp with TLS (the same certificates as the HTTP client); ssh:// stays with dockerode.
import { connect, isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { ResolvedEngineHost } from './hostResolution';

export interface StreamingTls {
  ca?: string;
  cert?: string;
  key?: string;
  /** false: encrypted, but the engine's certificate is not checked (DOCKER_TLS without verify). */
  rejectUnauthorized: boolean;
}

export type StreamingTarget =
  { socketPath: string } | { host: string; port: number; tls?: StreamingTls };

export interface StreamingResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body, until the engine closes the connection; destroy it to stop early. */
  body: Readable;
}

/** The longest status line and headers accepted (the engine's are a few hundred bytes). */
const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/** Where a streaming GET can go on a socket of its own, or undefined (ssh://: use the HTTP client). */
export function streamingTarget(
  endpoint: Pick<ResolvedEngineHost, 'dockerodeOptions' | 'tls'>,
): StreamingTarget | undefined {
  const options = endpoint.dockerodeOptions;
  if (options.socketPath) return { socketPath: options.socketPath };
  if (!options.host || !options.port) return undefined;
  if (options.protocol === 'http') return { host: options.host, port: options.port };
  if (options.protocol === 'https')
    return {
      host: options.host,
      port: options.port,
      tls: {
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: endpoint.tls?.verify ?? true,
      },
    };
  return undefined;
}

function open(target: StreamingTarget): Socket {
  if ('socketPath' in target) return connect({ path: target.socketPath });
  if (!target.tls) return connect({ host: target.host, port: target.port });
  // A name is checked against the certificate (SNI); an address by its IP entries.
  return tlsConnect({
    host: target.host,
    port: target.port,
    servername: isIP(target.host) ? undefined : target.host,
    ...target.tls,
  });
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Sends `GET path` and resolves once the status line and headers have arrived. Network
 * errors reject as Node reports them (code, syscall), so callers map them as for any request.
 */
export function streamingGet(
  target: StreamingTarget,
  path: string,
  signal: AbortSignal,
): Promise<StreamingResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const socket = open(target);
    const host =
      'socketPath' in target
        ? 'docker'
        : `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    let head: Buffer = Buffer.alloc(0);
    let answered = false;

    const onAbort = () => {
      socket.destroy();
      if (!answered) fail(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('end', onEarlyEnd);
    };
    function fail(e: Error) {
      if (answered) return;
      answered = true;
      cleanup();
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(e);
    }
    function onEarlyEnd() {
      fail(
        Object.assign(new Error('the engine closed the connection without answering'), {
          code: 'ECONNRESET',
          syscall: 'read',
        }),
      );
    }
    function onData(chunk: Buffer) {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const end = head.indexOf(HEAD_END);
      if (end === -1) {
        if (head.length > MAX_HEAD_BYTES)
          fail(
            new Error(
              `the engine's answer to GET ${path} has no end of headers in ${MAX_HEAD_BYTES} bytes`,
            ),
          );
        return;
      }
      const lines = head.toString('latin1', 0, end).split('\r\n');
      const status = /^HTTP\/1\.[01] ([0-9]{3})/.exec(lines[0]);
      if (!status)
        return fail(
          new Error(
            `the engine's answer to GET ${path} is not HTTP: ${JSON.stringify(lines[0].slice(0, 80))}`,
          ),
        );
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0)
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      answered = true;
      cleanup();
      // From now on aborting destroys the body (its 'close' tells the reader).
      resolve({
        status: Number(status[1]),
        headers,
        body: bodyOf(socket, head.subarray(end + HEAD_END.length)),
      });
    }
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('end', onEarlyEnd);
    socket.once('close', () => signal.removeEventListener('abort', onAbort));
    socket.setNoDelay(true);
    socket.write(
      `GET ${path} HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: mastercopy\r\n` +
        `Accept: application/vnd.docker.multiplexed-stream, application/vnd.docker.raw-stream\r\n\r\n`,
    );
  });
}

/**
 * The socket's bytes after the headers as a plain Readable (flowing once read, like any
 * stream), starting with `first`, the body's bytes that came with the headers. One push per
 * socket read; the socket is paused while the reader is behind.
 */
function bodyOf(socket: Socket, first: Buffer): Readable {
  const body = new Readable({
    highWaterMark: 64 * 1024,
    read: () => socket.resume(),
    destroy: (error, callback) => {
      socket.destroy();
      callback(error);
    },
  });
  if (first.length) body.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!body.push(chunk)) socket.pause();
  });
  socket.on('end', () => body.push(null));
  socket.on('error', (e) => body.destroy(e));
  socket.on('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  return body;
}

/** Reads what is left of a (short) body, up to `max` bytes: an error answer's JSON. */
export function readBody(body: Readable, max = 64 * 1024): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let length = 0;
    const done = () => {
      body.destroy();
      resolve(Buffer.concat(parts).toString('utf8'));
    };
    body.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      length += chunk.length;
      if (length >= max) done();
    });
    body.on('end', done);
    body.on('error', done);
    body.resume();
  });
}
