// Health on a remote engine (issue 14, defect 15): a print's `health.http` wait must be judged
// where the copies run — by probe containers on the master copy's network, at each copy's
// address there — never by this client's loopback; and without a keeper image it says so
// before anything starts. The keeper program's one-shot `probe` mode is run here as built.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { planBuild } from '../../../src/core/build/plan';
import { CopiesError } from '../../../src/core/copies/errors';
import type { HttpProbe } from '../../../src/core/copies/health';
import { printCopies } from '../../../src/core/copies/print';
import type { BuildOptions, RunResult } from '../../../src/core/engine/EngineClient';
import { isLocalEngine } from '../../../src/core/engine/hostResolution';
import {
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_ROLE,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import {
  healthProberFor,
  LABEL_PROBE_OF,
  ROLE_PROBE,
} from '../../../src/core/keeper/probeContainer';
import { LOCAL_NODE_BASE } from '../../../src/core/keeper/keeperContainer';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { repoRoot } from '../../support/repoRoot';
import { FakeEngine } from './fakeEngine';

const MC: MasterCopy = {
  mastercopy: 1,
  name: 'shop',
  version: '1.0.0',
  from: 'busybox:stable',
  ports: [8080],
  health: {
    http: { port: 8080, path: '/health?deep=1' },
    interval: '10ms',
    timeout: '700ms',
    retries: 2,
    startPeriod: '0s',
  },
};

/** The fake engine, reached through ssh: its copies' published ports are not on this machine. */
class RemoteEngine extends FakeEngine {
  override readonly endpoint = {
    host: 'ssh://ops@engine.example:22',
    source: 'default' as const,
    dockerodeOptions: {},
  };
  readonly built: string[] = [];
  /** Whether the keeper's Node base is on this engine (its image can be built). */
  hasNodeBase = true;

  // Optional: the fake's own buildImage takes none.
  override async buildImage(context?: Readable, options?: BuildOptions) {
    if (!this.hasNodeBase || !context || !options) return super.buildImage();
    context.resume();
    this.built.push(options.tag);
    this.images.set(options.tag, {
      id: `sha256:${options.tag}`,
      tags: [options.tag],
      labels: { ...options.labels, [LABEL_MANAGED]: 'true' },
      created: '',
      size: 0,
    });
    return { imageId: `sha256:${options.tag}` };
  }
}

describe('health on a remote engine: probe containers on the copies network', () => {
  let folder: string;
  let scriptPath: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-remote-health-'));
    scriptPath = join(folder, 'keeper.js');
    writeFileSync(scriptPath, '// the keeper program\n');
    writeFileSync(join(folder, 'keeper-control.js'), '// its control client\n');
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  async function remoteEngine(): Promise<RemoteEngine> {
    const engine = new RemoteEngine();
    const { digest, tag } = await planBuild(MC, folder, nodeBuildFileSystem);
    engine.images.set(tag, {
      id: 'sha256:shop',
      tags: [tag],
      labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_NAME]: MC.name,
        [LABEL_VERSION]: MC.version,
        [LABEL_DIGEST]: digest,
      },
      created: '',
      size: 0,
    });
    engine.images.set(LOCAL_NODE_BASE, {
      id: 'sha256:node',
      tags: [LOCAL_NODE_BASE],
      labels: {},
      created: '',
      size: 0,
    });
    return engine;
  }

  /** This machine's loopback must never be asked. */
  const loopback: HttpProbe = () => {
    throw new Error('probed this machine');
  };

  const print = (engine: RemoteEngine, extraLabels?: Record<string, string>) =>
    printCopies(engine, MC, folder, {
      copies: 2,
      env: {},
      readFile: () => '',
      probe: loopback,
      prober: healthProberFor(engine, { scriptPath, extraLabels }),
      logLines: 1,
    });

  it('judges each copy by a hardened probe container on its network, at its address and container port', async () => {
    const engine = await remoteEngine();
    engine.onRun = () => ({ exitCode: 0, stdout: '204\n', stderr: '' });
    const result = await print(engine, { 'test-run': 'r1' });
    assert.deepEqual(result.unhealthy, []);
    assert.equal(engine.built.length, 1, 'the keeper image, built once for the whole print');
    const network = engine.networks.find((n) => n.name === 'mastercopy-shop');
    assert.ok(network);
    const copyIds = result.copies.map((c) => c.id).sort();
    assert.deepEqual(engine.runs.map((r) => r.labels?.[LABEL_PROBE_OF]).sort(), copyIds);
    for (const spec of engine.runs) {
      assert.equal(spec.image, engine.built[0]);
      assert.equal(spec.network, network.id, 'on the network by id');
      assert.deepEqual(spec.command, ['probe', '10.0.0.2', '8080', '/health?deep=1', '700']);
      assert.equal(spec.labels?.[LABEL_ROLE], ROLE_PROBE);
      assert.equal(spec.labels?.['test-run'], 'r1');
      assert.equal(spec.readOnly, true);
      assert.deepEqual(spec.capDrop, ['ALL']);
      assert.equal(spec.noNewPrivileges, true);
      assert.equal(spec.restart, 'no');
      assert.equal(spec.ports, undefined, 'publishes nothing');
    }
    // Probe containers are runs (removed by the engine client), never left as containers.
    assert.equal(engine.containers.size, 2);
  });

  it("says what the probe saw: the copy's status, no answer at its address, or the probe container failing", async () => {
    const cases: [RunResult, RegExp][] = [
      [
        { exitCode: 1, stdout: '503\n', stderr: '' },
        /2 probes in a row failed after the start period; the last: GET \/health\?deep=1 answered 503$/,
      ],
      [
        { exitCode: 1, stdout: 'none\n', stderr: '' },
        /GET \/health\?deep=1 on 10\.0\.0\.2:8080 \(from a probe container on mastercopy-shop\) got no answer within 700 ms$/,
      ],
      [
        { exitCode: 2, stdout: '', stderr: 'keeper: usage: probe ADDRESS PORT PATH TIMEOUT_MS\n' },
        /the probe container failed \(exit 2\): keeper: usage: probe ADDRESS PORT PATH TIMEOUT_MS$/,
      ],
      [
        { exitCode: undefined, stdout: '', stderr: '' },
        /the probe container did not end within 15700 ms$/,
      ],
    ];
    for (const [answer, reason] of cases) {
      const engine = await remoteEngine();
      engine.onRun = () => answer;
      const result = await print(engine);
      assert.equal(result.unhealthy.length, 2);
      for (const u of result.unhealthy) assert.match(u.reason, reason);
    }
  });

  it('a copy with no address on the network fails its probe without a probe container', async () => {
    const engine = await remoteEngine();
    const inspect = engine.inspectContainer.bind(engine);
    engine.inspectContainer = async (id) => {
      const d = await inspect(id);
      return d && { ...d, addresses: {} };
    };
    const result = await print(engine);
    assert.equal(engine.runs.length, 0);
    assert.match(
      result.unhealthy[0].reason,
      /the last: the copy has no address on the network mastercopy-shop$/,
    );
  });

  it('without a keeper image it says so before any copy starts, and never probes this machine instead', async () => {
    const engine = await remoteEngine();
    engine.images.delete(LOCAL_NODE_BASE);
    engine.hasNodeBase = false;
    await assert.rejects(print(engine), (e: unknown) => {
      assert.ok(e instanceof CopiesError, String(e));
      assert.match(
        e.message,
        /^The engine ssh:\/\/ops@engine\.example:22 is not on this machine, so its copies' health is probed from their network/,
      );
      assert.match(e.message, /needs a Node base image/);
      return true;
    });
    assert.equal(engine.containers.size, 0, 'no copy was started');
    assert.equal(engine.runs.length, 0);
  });

  it('a local engine (unix socket, tcp to loopback) is probed through the published port, with no probe container', async () => {
    for (const host of ['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375']) {
      const engine = new FakeEngine();
      Object.assign(engine, { endpoint: { ...engine.endpoint, host } });
      const prober = healthProberFor(engine, { scriptPath });
      assert.equal(prober.prepare, undefined);
      const details = { ports: [], addresses: { 'mastercopy-shop': '10.0.0.2' } };
      const attempt = await prober.probeHttp(
        {
          details: details as never,
          port: 8080,
          path: '/health',
          network: { id: 'n', name: 'mastercopy-shop' },
        },
        100,
      );
      assert.deepEqual(attempt, { unreachable: 'container port 8080/tcp is not published' });
      assert.equal(engine.runs.length, 0);
    }
  });
});

describe('isLocalEngine: whose loopback the published ports are on', () => {
  const cases: [string, boolean][] = [
    ['unix:///var/run/docker.sock', true],
    ['npipe:////./pipe/docker_engine', true],
    ['tcp://127.0.0.1:2375', true],
    ['tcp://127.1.2.3:2376', true],
    ['tcp://localhost:2375', true],
    ['tcp://LOCALHOST:2375', true],
    ['tcp://[::1]:2375', true],
    ['tcp://10.0.0.5:2375', false],
    ['tcp://engine.example:2376', false],
    ['tcp://127.0.0.1.example:2376', false],
    ['tcp://localhost.example:2376', false],
    ['ssh://ops@127.0.0.1:2222', false],
    ['ssh://ops@engine.example', false],
  ];
  for (const [host, local] of cases)
    it(`${host}: ${local ? 'local' : 'remote'}`, () => {
      assert.equal(isLocalEngine({ host }), local);
    });
});

describe("the keeper program's one-shot probe (dist/keeper.js probe ADDRESS PORT PATH TIMEOUT_MS)", () => {
  let server: Server;
  let port: number;
  const paths: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = req.url === '/ok?x=1' ? 200 : req.url === '/moved' ? 302 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const probe = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(repoRoot(), 'dist', 'keeper.js'), 'probe', ...args],
        { timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, stdout, stderr }),
      );
    });

  it('prints the status and exits 0 for 2xx and 3xx, 1 otherwise; the path goes as given', async () => {
    assert.deepEqual(await probe('127.0.0.1', String(port), '/ok?x=1', '2000'), {
      code: 0,
      stdout: '200\n',
      stderr: '',
    });
    assert.equal((await probe('127.0.0.1', String(port), '/moved', '2000')).stdout, '302\n');
    assert.deepEqual(await probe('127.0.0.1', String(port), '/a/../sick', '2000'), {
      code: 1,
      stdout: '503\n',
      stderr: '',
    });
    assert.ok(paths.includes('/a/../sick'), `not normalised: ${paths.join(' ')}`);
  });

  it('says "none" when nothing answers, and refuses a path no request can carry without sending it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.deepEqual(await probe('127.0.0.1', String(free), '/health', '500'), {
      code: 1,
      stdout: 'none\n',
      stderr: '',
    });
    const before = paths.length;
    assert.equal((await probe('127.0.0.1', String(port), '/a b', '500')).stdout, 'none\n');
    assert.equal(paths.length, before);
  });

  it('exits 2 with its usage for arguments it cannot use', async () => {
    for (const args of [[], ['127.0.0.1', 'http', '/', '100'], ['127.0.0.1', '80', '/', 'soon']]) {
      const r = await probe(...args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /usage: probe ADDRESS PORT PATH TIMEOUT_MS/);
    }
  });
});
