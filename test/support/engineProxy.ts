// A tcp endpoint for the test engine, the way `dockerd -H tcp://…` offers one: a server on
// 127.0.0.1 that passes each connection on to the engine's unix socket — with `tls`, like
// `dockerd --tlsverify`: it asks for a client certificate. Certificates (a CA, the server's
// for IP 127.0.0.1, a client's) are made with openssl into a folder laid out like
// DOCKER_CERT_PATH. It also notes the first line of each request, so a test can see how
// the client asked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import {
  connect,
  createServer as createTcpServer,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';

export interface EngineProxy {
  /** tcp://127.0.0.1:PORT */
  host: string;
  /** With tls: ca.pem, cert.pem, key.pem (the client's), i.e. DOCKER_CERT_PATH. */
  certPath?: string;
  /** The first line of every request seen, e.g. "GET /_ping HTTP/1.1". */
  requestLines: string[];
  close(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCertificates(dir: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=mastercopy test CA',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server-key.pem',
    '-out',
    'server.csr',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server-cert.pem',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=client',
    '-keyout',
    'key.pem',
    '-out',
    'client.csr',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'client.ext',
    '-out',
    'cert.pem',
  );
}

export async function startEngineProxy(
  { tls }: { tls: boolean },
  engineSocket = '/var/run/docker.sock',
): Promise<EngineProxy> {
  const requestLines: string[] = [];
  const open = new Set<Socket>();
  const pass = (client: Socket) => {
    const engine = connect({ path: engineSocket });
    open.add(client);
    client.once('data', (first: Buffer) =>
      requestLines.push(first.toString('latin1').split('\r\n')[0]),
    );
    client.pipe(engine).pipe(client);
    const end = () => {
      open.delete(client);
      client.destroy();
      engine.destroy();
    };
    client.on('error', end);
    engine.on('error', end);
    client.on('close', end);
    engine.on('close', end);
  };
  let certPath: string | undefined;
  let server: Server | TcpServer;
  if (tls) {
    certPath = mkdtempSync(join(tmpdir(), 'mc-tls-engine-'));
    makeCertificates(certPath);
    const read = (f: string) => readFileSync(join(certPath!, f), 'utf8');
    server = createServer(
      {
        key: read('server-key.pem'),
        cert: read('server-cert.pem'),
        ca: read('ca.pem'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      pass,
    );
  } else {
    server = createTcpServer(pass);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `tcp://127.0.0.1:${port}`,
    certPath,
    requestLines,
    // Kept-alive connections would hold close() until the client lets them go.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const c of open) c.destroy();
      }),
  };
}
