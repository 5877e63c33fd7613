// A TLS endpoint for the test engine, the way `dockerd --tlsverify` offers one: a TLS
// server on 127.0.0.1 that asks for a client certificate and passes each connection on to
// the engine's unix socket. Certificates (a CA, the server's for IP 127.0.0.1, a client's)
// are made with openssl into a folder laid out like DOCKER_CERT_PATH. It also notes the
// first line of each request, so a test can see how the client asked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';

export interface TlsEngine {
  /** tcp://127.0.0.1:PORT */
  host: string;
  /** ca.pem, cert.pem, key.pem (the client's): DOCKER_CERT_PATH. */
  certPath: string;
  /** The first line of every request seen, e.g. "GET /_ping HTTP/1.1". */
  requestLines: string[];
  close(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCertificates(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=mastercopy test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server-cert.pem');
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=client', '-keyout', 'key.pem', '-out', 'client.csr');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'cert.pem');
}

export async function startTlsEngine(engineSocket = '/var/run/docker.sock'): Promise<TlsEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-tls-engine-'));
  makeCertificates(dir);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const requestLines: string[] = [];
  const open = new Set<{ destroy(): void }>();
  const server: Server = createServer({ key: read('server-key.pem'), cert: read('server-cert.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (client) => {
    const engine = connect({ path: engineSocket });
    open.add(client);
    client.on('close', () => open.delete(client));
    client.once('data', (first: Buffer) => requestLines.push(first.toString('latin1').split('\r\n')[0]));
    client.pipe(engine).pipe(client);
    const end = () => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', end);
    engine.on('error', end);
    client.on('close', end);
    engine.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `tcp://127.0.0.1:${port}`,
    certPath: dir,
    requestLines,
    // Kept-alive connections would hold close() until the client lets them go.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const c of open) c.destroy();
      }),
  };
}
