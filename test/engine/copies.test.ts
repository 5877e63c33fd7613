// Printing, scaling, listing and disposing copies of the Transaction Service example on
// a real engine. Each run prints its own uniquely named master copies (and labels
// everything with its run id), so runs of other people never collide with this one.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { disposeCopies } from '../../src/core/copies/dispose';
import { PortTakenError, SecretError } from '../../src/core/copies/errors';
import { printCopies, type PrintOptions } from '../../src/core/copies/print';
import { listCopies, type CopyRecord } from '../../src/core/copies/ps';
import { scaleCopies } from '../../src/core/copies/scale';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../src/core/engine/labels';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { runCli } from '../support/cli';
import {
  TEST_ENGINE_HOST,
  TEST_RUN_LABEL,
  cleanupTestRun,
  ensureEngine,
  rawDocker,
  testRunId,
  testRunLabels,
  waitFor,
} from '../support/engine';

const SECRET = `db-pw-${testRunId}-never-in-labels`;
const BASE_NAME = `mc-test-${testRunId}`;
const tempDirs: string[] = [];

function exampleFolder(): string {
  let dir = __dirname;
  while (!dir.endsWith('/out') && dirname(dir) !== dir) dir = dirname(dir);
  return join(dirname(dir), 'examples', 'transaction-service');
}

/** The example, copied to a temp folder, renamed, edited and validated like the CLI does. */
function variant(
  suffix: string,
  edit: (text: string) => string = (t) => t,
): { mc: MasterCopy; folder: string; file: string } {
  const folder = mkdtempSync(join(tmpdir(), 'mastercopy-copies-'));
  tempDirs.push(folder);
  cpSync(exampleFolder(), folder, { recursive: true });
  const file = join(folder, 'transaction-service.mastercopy.yaml');
  const text = edit(
    readFileSync(file, 'utf8').replace(
      /^name: transaction-service$/m,
      `name: ${BASE_NAME}${suffix}`,
    ),
  );
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(result.masterCopy, result.diagnostics.map((d) => d.message).join('\n'));
  return { mc: result.masterCopy, folder, file };
}

function get(port: number, path: string): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Runs the CLI in this process against the test engine. */
function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST, ...env } });
}

describe('copies: print, scale, ps, dispose against a real engine', () => {
  let engine: EngineClient;
  const service = () =>
    variant('', (t) => `${t}\nsecrets:\n  - { name: DB_PASSWORD, fromEnv: MC_TEST_DB_PASSWORD }\n`);
  let svc: ReturnType<typeof variant>;
  const options = (more: Partial<PrintOptions> = {}): PrintOptions => ({
    env: { MC_TEST_DB_PASSWORD: SECRET },
    readFile: (p) => readFile(p, 'utf8'),
    extraLabels: testRunLabels,
    ...more,
  });

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
    svc = service();
  });

  after(async () => {
    // Our own way out first (it must work), then the run label for anything left.
    await disposeCopies(engine, { name: svc.mc.name, all: true }, { stopTimeoutSeconds: 1 }).catch(
      () => undefined,
    );
    await cleanupTestRun();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  it('prints 3 hardened copies that answer /health through their published ports; the secret is only in their env', async () => {
    const result = await printCopies(engine, svc.mc, svc.folder, options({ copies: 3 }));
    assert.deepEqual(result.unhealthy, []);
    assert.equal(result.healthChecked, true);
    assert.deepEqual(
      result.copies.map((c) => c.index),
      [0, 1, 2],
    );

    const docker = rawDocker();
    for (const copy of result.copies) {
      const info = await docker.getContainer(copy.id).inspect();
      const host = info.HostConfig;
      assert.equal(host.ReadonlyRootfs, true);
      assert.deepEqual(host.CapDrop, ['ALL']);
      assert.ok((host.CapAdd ?? []).length === 0);
      assert.ok(host.SecurityOpt?.includes('no-new-privileges:true'), String(host.SecurityOpt));
      assert.deepEqual(Object.keys(host.Tmpfs ?? {}), ['/tmp']);
      assert.equal(host.Memory, 64 * 1024 * 1024);
      assert.equal(host.NanoCpus, 500_000_000);
      assert.equal(host.RestartPolicy?.Name, 'on-failure');
      assert.equal((host as { Init?: boolean }).Init, true);
      assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [`mastercopy-${svc.mc.name}`]);
      const labels = info.Config.Labels;
      assert.equal(labels[LABEL_MANAGED], 'true');
      assert.equal(labels[LABEL_NAME], svc.mc.name);
      assert.equal(labels[LABEL_VERSION], '1.0.0');
      assert.equal(labels[LABEL_DIGEST], result.build.digest);
      assert.equal(labels[LABEL_COPY], String(copy.index));
      assert.equal(labels.team, 'payments');
      assert.equal(info.Name, `/${svc.mc.name}_1.0.0_${copy.index}`);
      const bindings = info.HostConfig.PortBindings?.['8080/tcp'] ?? [];
      assert.equal(bindings[0]?.HostIp, '127.0.0.1');
      const published = info.NetworkSettings.Ports['8080/tcp'] ?? [];
      assert.deepEqual(
        published.map((p) => p.HostIp),
        ['127.0.0.1'],
      );

      // The secret: in the copy's environment, nowhere in its labels.
      assert.ok(info.Config.Env.includes(`DB_PASSWORD=${SECRET}`));
      assert.ok(!JSON.stringify(labels).includes(SECRET));

      const port = copy.ports.find((p) => p.containerPort === 8080)?.hostPort;
      assert.ok(port);
      assert.equal(Number(published[0].HostPort), port);
      const health = await get(port, '/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.trim(), 'ok');
    }

    // …and not in the image: its config, labels or history.
    const image = docker.getImage(result.build.tag);
    const imageInfo = await image.inspect();
    assert.ok(!JSON.stringify(imageInfo).includes(SECRET));
    assert.ok(!JSON.stringify(await image.history()).includes(SECRET));
  });

  it('prints 2 more: indices 3 and 4, the image not rebuilt', async () => {
    const result = await printCopies(engine, svc.mc, svc.folder, options({ copies: 2 }));
    assert.equal(result.build.status, 'up-to-date');
    assert.deepEqual(
      result.copies.map((c) => c.index),
      [3, 4],
    );
    const all = await listCopies(engine, { name: svc.mc.name });
    assert.deepEqual(
      all.map((c) => c.index),
      [0, 1, 2, 3, 4],
    );
  });

  it('ps --json: stable records, sorted, healthy by probe, digest matching', async () => {
    const { code, stdout, stderr } = await cli(['ps', svc.mc.name, '--json']);
    assert.equal(code, 0, stderr);
    const records = JSON.parse(stdout) as CopyRecord[];
    assert.deepEqual(
      records.map((r) => r.index),
      [0, 1, 2, 3, 4],
    );
    for (const r of records) {
      assert.deepEqual(Object.keys(r), [
        'name',
        'version',
        'index',
        'id',
        'shortId',
        'state',
        'health',
        'ports',
        'image',
        'digest',
        'digestMatches',
      ]);
      assert.equal(r.name, svc.mc.name);
      assert.equal(r.version, '1.0.0');
      assert.equal(r.shortId, r.id.slice(0, 12));
      assert.equal(r.state, 'running');
      assert.equal(r.health, 'healthy');
      assert.equal(r.image, `${svc.mc.name}:1.0.0`);
      assert.match(r.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.equal(r.digestMatches, true);
      assert.equal(r.ports.length, 1);
      assert.equal(r.ports[0].container, 8080);
      assert.equal(r.ports[0].protocol, 'tcp');
      assert.equal(r.ports[0].hostIp, '127.0.0.1');
      assert.equal(typeof r.ports[0].host, 'number');
    }
    const table = await cli(['ps', svc.file]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+VERSION\s+COPY\s+ID\s+STATE\s+HEALTH\s+PORTS\s+DIGEST$/m);
  });

  it('scales down to 2: the highest indices go, gracefully (each stops on SIGTERM, none is killed after the timeout)', async () => {
    // The engine's "die" events carry each copy's exit code: 137 would be SIGKILL after the stop timeout.
    const watch = new AbortController();
    const died = new Map<string, string>();
    const events = engine.events(
      { labels: { [LABEL_NAME]: svc.mc.name }, types: ['container'], since: Date.now() - 100 },
      watch.signal,
    );
    const watching = (async () => {
      for await (const e of events)
        if (e.action === 'die') died.set(e.attributes[LABEL_COPY], e.attributes.exitCode);
    })().catch(() => undefined);
    try {
      const result = await scaleCopies(engine, svc.mc, svc.folder, 2, options());
      assert.deepEqual(
        result.removed.map((c) => c.index),
        [4, 3, 2],
      );
      assert.deepEqual(
        (await listCopies(engine, { name: svc.mc.name })).map((c) => c.index),
        [0, 1],
      );
      await waitFor(
        'the die events of copies 2, 3 and 4',
        () => ['2', '3', '4'].every((i) => died.has(i)),
        10_000,
      );
      // The init in each copy passes SIGTERM on to the server, which ends at once.
      for (const i of ['2', '3', '4'])
        assert.notEqual(
          died.get(i),
          '137',
          `copy ${i} was killed after the stop timeout (exit codes: ${JSON.stringify([...died])})`,
        );
    } finally {
      watch.abort();
      await watching;
    }
  });

  it('reports copies whose health never passes, with their last log lines, once their retries are spent', async () => {
    const sick = variant('-sick', (t) =>
      t
        .replace('path: /health', 'path: /no-such-page')
        .replace('interval: 2s', 'interval: 200ms')
        .replace('timeout: 1s', 'timeout: 500ms')
        .replace('retries: 3', 'retries: 2')
        .replace('startPeriod: 5s', 'startPeriod: 500ms'),
    );
    // It gives up after `retries` failed checks (a print that waited on would hit the test's timeout).
    const result = await printCopies(
      engine,
      sick.mc,
      sick.folder,
      options({ copies: 1, logLines: 10 }),
    );
    assert.equal(result.unhealthy.length, 1);
    const u = result.unhealthy[0];
    assert.match(u.reason, /answered 404/);
    assert.ok(
      u.lastLogLines.length > 0 && u.lastLogLines.length <= 10,
      JSON.stringify(u.lastLogLines),
    );
    assert.ok(
      u.lastLogLines.some((l) => /no-such-page|404/.test(l)),
      JSON.stringify(u.lastLogLines),
    );

    // The CLI says so with exit code 1 and the log lines on stderr.
    const run = await cli(['print', sick.file, '--copies', '1'], { MC_TEST_DB_PASSWORD: SECRET });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /never became healthy/);
    assert.match(run.stderr, /Its last log lines:/);
    assert.ok(!run.stderr.includes(SECRET) && !run.stdout.includes(SECRET));
    await disposeCopies(engine, { name: sick.mc.name, all: true }, { stopTimeoutSeconds: 1 });
  });

  it('a missing secret stops the print before anything starts', async () => {
    const before = (await listCopies(engine, { name: svc.mc.name })).length;
    await assert.rejects(
      printCopies(engine, svc.mc, svc.folder, options({ env: {} })),
      (e: Error) => e instanceof SecretError && /DB_PASSWORD/.test(e.message),
    );
    assert.equal((await listCopies(engine, { name: svc.mc.name })).length, before);
    const run = await cli(['print', svc.file], { MC_TEST_DB_PASSWORD: '' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /MC_TEST_DB_PASSWORD is empty/);
  });

  it('a fixed host port that is taken gets a clear message', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const fixed = variant('-fixed', (t) =>
        t.replace('ports: [8080]', `ports: [{ port: 8080, hostPort: ${taken} }]`),
      );
      await assert.rejects(
        printCopies(engine, fixed.mc, fixed.folder, options({ copies: 1 })),
        (e: Error) => {
          assert.ok(e instanceof PortTakenError, `${e.name}: ${e.message}`);
          assert.equal(e.hostPort, taken);
          assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${taken} .*already taken`));
          return true;
        },
      );
      assert.deepEqual(
        await listCopies(engine, { name: fixed.mc.name }),
        [],
        'the failed copy was removed',
      );
    } finally {
      blocker.close();
    }
  });

  it('dispose removes our copies and the network, and never a foreign container with a similar name', async () => {
    const docker = rawDocker();
    const network = `mastercopy-${svc.mc.name}`;
    const foreign = await docker.createContainer({
      name: `${svc.mc.name}_1.0.0_0-foreign`,
      Image: 'busybox:stable',
      Cmd: ['sh', '-c', 'trap "exit 0" TERM; sleep 300 & wait'],
      // Our name and version labels, but not io.mastercopy.managed: not ours.
      Labels: {
        [TEST_RUN_LABEL]: testRunId,
        [LABEL_NAME]: svc.mc.name,
        [LABEL_VERSION]: '1.0.0',
        [LABEL_COPY]: '0',
      },
    });
    await foreign.start();

    const refused = await cli(['dispose', svc.mc.name]);
    assert.equal(refused.code, 2, 'no terminal and no --yes');
    assert.match(refused.stderr, /--yes/);

    const run = await cli(['dispose', `${svc.mc.name}:1.0.0`, '--yes', '--json', '--timeout', '2']);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      disposed: { index: number }[];
      networksRemoved: string[];
    };
    assert.deepEqual(
      out.disposed.map((c) => c.index),
      [0, 1],
    );
    assert.deepEqual(out.networksRemoved, [network]);

    assert.deepEqual(await listCopies(engine, { name: svc.mc.name }), []);
    await waitFor(
      'the network to be gone',
      async () =>
        (await docker.listNetworks({ filters: { name: [network] } })).every(
          (n) => n.Name !== network,
        ),
      10_000,
    );
    const info = await foreign.inspect();
    assert.equal(info.State.Running, true, 'the foreign container survives');
    assert.equal(info.Name, `/${svc.mc.name}_1.0.0_0-foreign`);

    // Disposing again finds nothing, and still leaves the foreign container.
    const again = await cli(['dispose', svc.mc.name, '--all', '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /No copies/);
    assert.equal((await foreign.inspect()).State.Running, true);
  });
});
