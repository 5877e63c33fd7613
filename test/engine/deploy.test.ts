// Deploying against a real engine: the keeper, blue/green promote under load, failed and
// cancelled promotes, rollback from the image as built, the ledger and the lock, and the
// endpoint surviving the CLI, the keeper and the engine. Every master copy here has a
// name of this run, and everything the deploy creates carries this run's label.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeCopies } from '../../src/core/copies/dispose';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_NAME, LABEL_ROLE, LABEL_VERSION } from '../../src/core/engine/labels';
import {
  LABEL_LOCK,
  LockedError,
  forgetLedger,
  lockVolumeName,
  readLedger,
  activeVersion,
} from '../../src/core/deploy/ledger';
import { nodeDeployEnvironment } from '../../src/core/deploy/nodeDeployEnvironment';
import {
  PromoteError,
  promote,
  type DeployEnvironment,
  type PromoteEvent,
} from '../../src/core/deploy/promote';
import { rollbackRecord, rollbackSource } from '../../src/core/deploy/rollback';
import {
  GatewayPortTakenError,
  findKeeper,
  keeperControl,
} from '../../src/core/keeper/keeperContainer';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { runCli } from '../support/cli';
import {
  TEST_ENGINE_HOST,
  cleanupTestRun,
  ensureEngine,
  rawDocker,
  startEngine,
  stopEngine,
  testRunId,
  testRunLabels,
  waitFor,
} from '../support/engine';
import { freePort, loadLoop } from '../support/load';
import { repoRoot } from '../support/repoRoot';

const BASE = `mc-deploy-${testRunId}`;
const tempDirs: string[] = [];
const KEEPER_SCRIPT = join(repoRoot(), 'dist', 'keeper.js');
const FAST_HEALTH = `health:\n  http: { port: 8080, path: /health }\n  interval: 500ms\n  timeout: 1s\n  retries: 2\n  startPeriod: 1s\n`;

interface Variant {
  mc: MasterCopy;
  folder: string;
  file: string;
}

/** The example as master copy `BASE-suffix` at `version`, its page saying `title`, behind `gatewayPort`. */
function variant(
  suffix: string,
  version: string,
  gatewayPort: number | undefined,
  edit: (text: string) => string = (t) => t,
  title = `v${version}`,
): Variant {
  const folder = mkdtempSync(join(tmpdir(), 'mastercopy-deploy-'));
  tempDirs.push(folder);
  cpSync(join(repoRoot(), 'examples', 'transaction-service'), folder, { recursive: true });
  const page = join(folder, 'www', 'index.html');
  writeFileSync(
    page,
    readFileSync(page, 'utf8').replace('<h1>Transaction Service</h1>', `<h1>${title}</h1>`),
  );
  const file = join(folder, 'transaction-service.mastercopy.yaml');
  let text = readFileSync(file, 'utf8')
    .replace(/^name: transaction-service$/m, `name: ${BASE}-${suffix}`)
    .replace(/^version: "1.0.0"$/m, `version: "${version}"`)
    .replace(/^health:\n(  .*\n)+/m, FAST_HEALTH)
    .replace(
      /^gateway: .*$/m,
      gatewayPort === undefined ? '' : `gateway: { port: ${gatewayPort}, target: 8080 }`,
    );
  text = edit(text);
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(result.masterCopy, result.diagnostics.map((d) => d.message).join('\n'));
  return { mc: result.masterCopy, folder, file };
}

function get(port: number): Promise<{ status: number; title: string }> {
  const one = loadLoop(port, { total: 1, parallel: 1, deadlineMs: 10_000 });
  return one.done.then((r) => {
    if (r.ok !== 1) throw new Error(`GET :${port}/ failed: ${r.errors.join('; ')}`);
    return { status: 200, title: r.bodies[0] };
  });
}

async function answersWith(port: number, title: string): Promise<boolean> {
  try {
    return (await get(port)).title === title;
  } catch {
    return false;
  }
}

function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot(), 'dist', 'cli.js'), ...args],
      {
        env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST, MASTERCOPY_CACHE_DIR: 'off' },
        timeout: 120_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The copies (containers) of `name`, by version. */
async function copyVersions(name: string): Promise<string[]> {
  const list = await rawDocker().listContainers({
    all: true,
    filters: { label: [`${LABEL_NAME}=${name}`, 'io.mastercopy.copy'] },
  });
  return list.map((c) => c.Labels[LABEL_VERSION]).sort();
}

describe('deploy: keeper, promote, rollback, ledger against a real engine', function () {
  this.timeout(180_000);
  let engine: EngineClient;
  let deploy: DeployEnvironment;
  const names = new Set<string>();
  const track = <T extends Variant>(v: T): T => {
    names.add(v.mc.name);
    return v;
  };

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
    deploy = nodeDeployEnvironment(
      engine,
      process.env,
      { scriptPath: KEEPER_SCRIPT },
      testRunLabels,
    );
  });

  after(async () => {
    // Our own way out first (it must work), then the run label for anything left.
    for (const name of names) {
      await disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 }).catch(
        () => undefined,
      );
      await forgetLedger(engine, name).catch(() => undefined);
      // Images built by the CLI runs carry no run label: they carry this run's names.
      for (const image of await rawDocker().listImages({
        filters: { label: [`${LABEL_NAME}=${name}`] },
      }))
        await rawDocker()
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    await cleanupTestRun();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  describe('blue/green behind the endpoint', () => {
    let port: number;
    let v1: Variant;
    let v2: Variant;

    before(async () => {
      port = await freePort();
      v1 = track(variant('shop', '1.0.0', port));
      v2 = track(variant('shop', '2.0.0', port));
    });

    it('the first promote prints the copies, starts the keeper (hardened, ours) and the endpoint serves them', async () => {
      const phases: string[] = [];
      const result = await promote(engine, { kind: 'file', ...v1 }, deploy, {
        onProgress: (e) => e.kind === 'phase' && phases.push(e.phase),
      });
      assert.equal(result.status, 'promoted');
      assert.equal(result.replaced, null);
      assert.equal(result.copies.length, 2);
      assert.deepEqual(result.gateway, { address: '127.0.0.1', port });
      assert.deepEqual(phases, ['build', 'keeper', 'print', 'health', 'switch']);
      assert.equal((await get(port)).title, 'v1.0.0');

      const keeper = await findKeeper(engine, v1.mc.name);
      assert.ok(keeper);
      const info = await rawDocker().getContainer(keeper.id).inspect();
      assert.equal(info.Config.Labels['io.mastercopy.managed'], 'true');
      assert.equal(info.Config.Labels[LABEL_ROLE], 'keeper');
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
      assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges:true'));
      assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
      assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [`mastercopy-${v1.mc.name}`]);
      assert.equal(info.HostConfig.PortBindings?.[`${port}/tcp`]?.[0]?.HostIp, '127.0.0.1');
    });

    it(
      'zero downtime: a load loop through the endpoint during a promote to 2.0.0 sees no failure, ' +
        'and the answers switch from 1.0.0 to 2.0.0',
      async () => {
        const load = loadLoop(port, { total: 3000, parallel: 6, deadlineMs: 90_000 });
        await waitFor('the load loop to get answers', () => load.okSoFar() > 50, 10_000, 20);
        const result = await promote(engine, { kind: 'file', ...v2 }, deploy, { drainMs: 5000 });
        const seenAfter = load.okSoFar();
        await waitFor(
          'answers after the promote',
          () => load.okSoFar() > seenAfter + 100,
          30_000,
          20,
        );
        load.stop();
        const r = await load.done;
        assert.equal(r.failed, 0, `failed requests: ${r.errors.join('; ')}`);
        assert.ok(r.ok > 150, `only ${r.ok} requests went through`);
        assert.equal(result.status, 'promoted');
        assert.equal(result.replaced, '1.0.0');
        assert.ok(r.bodies.includes('v1.0.0') && r.bodies.includes('v2.0.0'), 'saw both versions');
        // Once 2.0.0 answered, 1.0.0 never did again: one switch, in one step.
        const firstNew = r.bodies.indexOf('v2.0.0');
        const parallelSlack = 6;
        assert.ok(
          r.bodies.slice(firstNew + parallelSlack).every((b) => b === 'v2.0.0'),
          'after the switch only 2.0.0 answers',
        );
        assert.deepEqual(
          await copyVersions(v2.mc.name),
          ['2.0.0', '2.0.0'],
          'blue was disposed of',
        );
      },
    );

    it('the keeper reports what it serves: the active version, its copies, connections served (mastercopy gateway --json)', async () => {
      const r = await runCli(['gateway', '--json', v2.mc.name], {
        env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST },
      });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as {
        active: string;
        port: number;
        copies: { version: string; healthy: boolean; served: number }[];
        totals: { served: number; failed: number };
      };
      assert.equal(report.active, '2.0.0');
      assert.equal(report.port, port);
      assert.deepEqual(
        report.copies.map((c) => [c.version, c.healthy]),
        [
          ['2.0.0', true],
          ['2.0.0', true],
        ],
      );
      assert.ok(report.totals.served > 150);
      assert.equal(report.totals.failed, 0);
    });

    it('promoting the active version does nothing and says so', async () => {
      const before = (await readLedger(engine, v2.mc.name)).length;
      const r = await runCli(['promote', '-q', v2.file], {
        env: {
          ...process.env,
          DOCKER_HOST: TEST_ENGINE_HOST,
          MASTERCOPY_KEEPER_SCRIPT: KEEPER_SCRIPT,
        },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /2\.0\.0 is already the active version: nothing to promote/);
      assert.equal((await readLedger(engine, v2.mc.name)).length, before, 'no record written');
    });

    it(
      'a promote whose health check never passes: the load loop sees no failure and only the old version; ' +
        'green is gone; the ledger says why',
      async () => {
        const bad = track(
          variant('shop', '3.0.0-bad', port, (t) =>
            t.replace('path: /health }', 'path: /no-such-page }'),
          ),
        );
        const load = loadLoop(port, { total: 1500, parallel: 4, deadlineMs: 60_000 });
        await assert.rejects(
          promote(engine, { kind: 'file', ...bad }, deploy, {}),
          (e: unknown) => {
            assert.ok(e instanceof PromoteError, String(e));
            assert.match(e.message, /never became healthy; 2\.0\.0 keeps serving/);
            assert.equal(e.unhealthy.length, 2);
            assert.match(e.unhealthy[0].reason, /answered 404/);
            return true;
          },
        );
        load.stop();
        const r = await load.done;
        assert.equal(r.failed, 0, r.errors.join('; '));
        assert.ok(r.ok > 0);
        assert.ok(r.bodies.every((b) => b === 'v2.0.0'));
        assert.deepEqual(await copyVersions(bad.mc.name), ['2.0.0', '2.0.0']);
        const last = (await readLedger(engine, bad.mc.name)).at(-1);
        assert.equal(last?.outcome, 'failed');
        assert.equal(last?.version, '3.0.0-bad');
        assert.equal(activeVersion(await readLedger(engine, bad.mc.name))?.version, '2.0.0');
      },
    );

    it('a version that crashes at start: exit 1 from the CLI with its last log lines, blue keeps serving, green is gone', async () => {
      const crash = track(
        variant('shop', '3.0.1-crash', port, (t) =>
          t
            .replace(
              /^command: .*$/m,
              'command: ["/bin/sh", "-c", "echo cannot open the database >&2; exit 3"]',
            )
            .replace('restart: on-failure', 'restart: "no"'),
        ),
      );
      const r = await runCli(['promote', '-q', crash.file], {
        env: {
          ...process.env,
          DOCKER_HOST: TEST_ENGINE_HOST,
          MASTERCOPY_KEEPER_SCRIPT: KEEPER_SCRIPT,
        },
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /never became healthy; 2\.0\.0 keeps serving/);
      assert.match(r.stderr, /cannot open the database/);
      assert.match(r.stderr, /The green copies were disposed of/);
      assert.equal((await get(port)).title, 'v2.0.0');
      assert.deepEqual(await copyVersions(crash.mc.name), ['2.0.0', '2.0.0']);
    });

    it('cancel before the switch is a clean undo: green is disposed of, blue serves, the ledger says cancelled', async () => {
      const slow = track(variant('shop', '4.0.0-cancelled', port));
      const abort = new AbortController();
      const events: PromoteEvent[] = [];
      await assert.rejects(
        promote(engine, { kind: 'file', ...slow }, deploy, {
          signal: abort.signal,
          onProgress: (e) => {
            events.push(e);
            if (e.kind === 'print' && e.event.kind === 'started') abort.abort();
          },
        }),
        (e: unknown) => (e as Error).name === 'AbortError' || /abort/i.test(String(e)),
      );
      assert.ok(!events.some((e) => e.kind === 'phase' && e.phase === 'switch'));
      assert.deepEqual(await copyVersions(slow.mc.name), ['2.0.0', '2.0.0']);
      assert.equal((await get(port)).title, 'v2.0.0');
      assert.equal((await readLedger(engine, slow.mc.name)).at(-1)?.outcome, 'cancelled');
    });

    it('two promotes at once: one proceeds, the other is refused at once naming the holder', async () => {
      const a = track(variant('shop', '5.0.0', port));
      const b = track(variant('shop', '5.0.1', port));
      const results = await Promise.allSettled([
        promote(engine, { kind: 'file', ...a }, deploy, {}),
        promote(engine, { kind: 'file', ...b }, deploy, {}),
      ]);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, String(refused.map((r) => r.reason)));
      assert.equal(refused.length, 1);
      assert.ok(refused[0].reason instanceof LockedError, String(refused[0].reason));
      assert.match(
        refused[0].reason.message,
        /is being deployed already: a promote to 5\.0\.[01] by .+@.+ \(pid \d+\) holds its lock since/,
      );
      assert.equal((await get(port)).title.startsWith('v5.0.'), true);
    });

    it('a stale lock (its holder died) is taken over, and says so', async () => {
      const name = v2.mc.name;
      const dead = {
        user: 'someone',
        host: deploy.lock.hostName,
        pid: 999_999_999,
        since: new Date().toISOString(),
        action: 'promote',
        version: '9.9.9',
      };
      await engine.createVolume({
        name: lockVolumeName(name),
        labels: {
          ...testRunLabels,
          [LABEL_NAME]: name,
          [LABEL_ROLE]: 'lock',
          [LABEL_LOCK]: JSON.stringify(dead),
        },
      });
      const events: PromoteEvent[] = [];
      const result = await promote(engine, { kind: 'file', ...v2 }, deploy, {
        onProgress: (e) => events.push(e),
      });
      assert.equal(result.status, 'promoted');
      const took = events.find((e) => e.kind === 'lock-taken-over');
      assert.ok(took && took.kind === 'lock-taken-over' && took.from.pid === 999_999_999);
      assert.equal((await get(port)).title, 'v2.0.0');
    });

    it('rollback prints the image as it was built (same image id, no rebuild) and needs no file', async () => {
      const ledger = await readLedger(engine, v2.mc.name);
      const record = rollbackRecord(ledger, v2.mc.name, '1.0.0');
      const imagesBefore = (
        await rawDocker().listImages({ filters: { label: [`${LABEL_NAME}=${v2.mc.name}`] } })
      )
        .map((i) => i.Id)
        .sort();
      rmSync(v1.folder, { recursive: true, force: true }); // the file is gone: not needed
      const source = await rollbackSource(
        engine,
        v2.mc.name,
        record,
        activeVersion(ledger)?.record,
      );
      const result = await promote(engine, source, deploy, {});
      assert.equal(result.status, 'rolled-back');
      assert.equal(result.record?.imageId, record.imageId);
      assert.equal(result.record?.action, 'rollback');
      assert.equal((await get(port)).title, 'v1.0.0');
      const containers = await rawDocker().listContainers({
        filters: { label: [`${LABEL_NAME}=${v2.mc.name}`, 'io.mastercopy.copy'] },
      });
      assert.ok(containers.length > 0);
      for (const c of containers) assert.equal(c.ImageID, record.imageId);
      const imagesAfter = (
        await rawDocker().listImages({ filters: { label: [`${LABEL_NAME}=${v2.mc.name}`] } })
      )
        .map((i) => i.Id)
        .sort();
      assert.deepEqual(imagesAfter, imagesBefore, 'no image was built');
    });

    it(
      'history --json from a fresh process lists every promote, failure and rollback in order, ' +
        'with who, when and the replaced version',
      async () => {
        const r = await spawnCli(['history', '--json', v2.mc.name]);
        assert.equal(r.code, 0, r.stderr);
        const records = JSON.parse(r.stdout) as {
          seq: number;
          version: string;
          outcome: string;
          action: string;
          replaced: string | null;
          by: { user: string; host: string };
          at: string;
          active: boolean;
        }[];
        assert.deepEqual(
          records.map((x) => x.seq),
          records.map((_, i) => i + 1),
        );
        assert.deepEqual(
          records.slice(0, 2).map((x) => [x.version, x.outcome, x.replaced]),
          [
            ['1.0.0', 'promoted', null],
            ['2.0.0', 'promoted', '1.0.0'],
          ],
        );
        assert.ok(records.some((x) => x.outcome === 'failed' && x.version === '3.0.0-bad'));
        assert.ok(records.some((x) => x.outcome === 'cancelled'));
        const last = records.at(-1)!;
        assert.deepEqual(
          [last.action, last.version, last.outcome, last.active],
          ['rollback', '1.0.0', 'rolled-back', true],
        );
        assert.ok(records.every((x) => x.by.user && x.by.host && !Number.isNaN(Date.parse(x.at))));
      },
    );

    it('rollback refuses when the image is gone, and says how to rebuild it', async () => {
      const ledger = await readLedger(engine, v2.mc.name);
      // 5.0.0 or 5.0.1 won the race above; take the one that was served and remove its image.
      const served = ledger.find((r) => r.version.startsWith('5.0.') && r.outcome === 'promoted')!;
      await rawDocker().getImage(`${v2.mc.name}:${served.version}`).remove({ force: true });
      const r = await runCli(['rollback', '--yes', '--to', served.version, v2.mc.name], {
        env: {
          ...process.env,
          DOCKER_HOST: TEST_ENGINE_HOST,
          MASTERCOPY_KEEPER_SCRIPT: KEEPER_SCRIPT,
        },
      });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `The image ${v2.mc.name}:${served.version.replace(/\./g, '\\.')} is no longer on the engine`,
        ),
      );
      assert.match(r.stderr, /Rebuild it/);
      assert.equal((await get(port)).title, 'v1.0.0', 'nothing changed');
    });

    it('the endpoint answers after the CLI that promoted has exited', async () => {
      const v6 = track(variant('shop', '6.0.0', port));
      const r = await spawnCli(['promote', '-q', v6.file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await get(port)).title, 'v6.0.0');
    });

    it('a keeper killed by hand comes back by itself and serves again', async () => {
      const keeper = await findKeeper(engine, v2.mc.name);
      assert.ok(keeper);
      const info = await rawDocker().getContainer(keeper.id).inspect();
      process.kill(info.State.Pid, 'SIGKILL');
      await waitFor(
        'the keeper to be restarted',
        async () => (await rawDocker().getContainer(keeper.id).inspect()).RestartCount > 0,
        30_000,
      );
      await waitFor('the endpoint to answer again', () => answersWith(port, 'v6.0.0'), 30_000, 100);
    });

    it(
      'the endpoint answers again after the engine restarts (started by our script ' +
        'with a clean environment, whoever calls it)',
      async () => {
        await stopEngine();
        // As a test inside VS Code calls it: HOME and TMPDIR in a scratch folder that goes away.
        const scratch = mkdtempSync(join(tmpdir(), 'mastercopy-caller-'));
        tempDirs.push(scratch);
        await new Promise<void>((resolve, reject) =>
          execFile(
            'bash',
            [join(repoRoot(), 'scripts/engine/dockerd.sh'), 'start'],
            { env: { ...process.env, HOME: scratch, TMPDIR: scratch } },
            (err) => (err ? reject(err) : resolve()),
          ),
        );
        await startEngine(); // answers already: waits for nothing
        const pid = readFileSync('/var/run/docker.pid', 'utf8').trim();
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        assert.ok(
          !environ.some((e) => e.includes(scratch)),
          `dockerd kept the caller's environment: ${environ.filter((e) => e.includes(scratch)).join(', ')}`,
        );
        await waitFor(
          'the endpoint to answer after the restart',
          () => answersWith(port, 'v6.0.0'),
          60_000,
          200,
        );
        const keeper = await findKeeper(engine, v2.mc.name);
        assert.ok(keeper);
        const report = await keeperControl(engine, keeper.id, ['status']);
        assert.equal(report.active, '6.0.0');
      },
    );

    it('dispose --all removes the copies and the keeper, keeps the ledger, and says how to forget it', async () => {
      const r = await runCli(['dispose', '--all', '--yes', v2.mc.name], {
        env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /its endpoint \(keeper\)/);
      assert.match(r.stderr, /history --forget --yes/);
      assert.equal(await findKeeper(engine, v2.mc.name), undefined);
      assert.deepEqual(await copyVersions(v2.mc.name), []);
      assert.ok((await readLedger(engine, v2.mc.name)).length > 5, 'the ledger is kept');
    });
  });

  describe('faults and other master copies', () => {
    it('the gateway port already taken: a clear error naming the port before anything is printed', async () => {
      const port = await freePort();
      const squatter: Server = createServer();
      await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
      try {
        const v = track(variant('taken', '1.0.0', port));
        await assert.rejects(promote(engine, { kind: 'file', ...v }, deploy, {}), (e: unknown) => {
          assert.ok(e instanceof GatewayPortTakenError, String(e));
          assert.match(
            e.message,
            new RegExp(`gateway port 127\\.0\\.0\\.1:${port} is already taken`),
          );
          assert.match(e.message, /nothing was printed/);
          return true;
        });
        assert.deepEqual(await copyVersions(v.mc.name), []);
        assert.equal(await findKeeper(engine, v.mc.name), undefined);
        assert.equal(activeVersion(await readLedger(engine, v.mc.name)), undefined);
      } finally {
        await new Promise((r) => squatter.close(r));
      }
    });

    it(
      'the engine stops in the middle of a promote: afterwards blue is active and serves, ' +
        'and running the promote again converges',
      async () => {
        const port = await freePort();
        const blue = track(variant('fault', '1.0.0', port));
        const green = track(variant('fault', '2.0.0', port));
        await promote(engine, { kind: 'file', ...blue }, deploy, {});
        let stopping: Promise<void> | undefined;
        const failure = await promote(engine, { kind: 'file', ...green }, deploy, {
          onProgress: (e) => {
            if (e.kind === 'print' && e.event.kind === 'started') stopping ??= stopEngine();
          },
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        await stopping;
        // What the engine said as it went away varies (not reachable, container not running, …): it failed.
        assert.ok(failure instanceof Error, 'the promote failed');
        await startEngine();
        assert.equal(
          activeVersion(await readLedger(engine, blue.mc.name))?.version,
          '1.0.0',
          'the switch had not happened: blue is active',
        );
        await waitFor(
          'blue to answer through the endpoint again',
          () => answersWith(port, 'v1.0.0'),
          60_000,
          200,
        );
        const again = await promote(engine, { kind: 'file', ...green }, deploy, {});
        assert.equal(again.status, 'promoted');
        assert.equal((await get(port)).title, 'v2.0.0');
        assert.deepEqual(
          await copyVersions(blue.mc.name),
          ['2.0.0', '2.0.0'],
          'no leftover of the interrupted attempt, no blue',
        );
      },
    );

    it(
      'a master copy without gateway is promoted too (print green, health, dispose blue), ' +
        'and says there is no endpoint to move',
      async () => {
        const a = track(variant('nogw', '1.0.0', undefined));
        const b = track(variant('nogw', '1.1.0', undefined));
        const env = {
          ...process.env,
          DOCKER_HOST: TEST_ENGINE_HOST,
          MASTERCOPY_KEEPER_SCRIPT: KEEPER_SCRIPT,
        };
        assert.equal((await runCli(['promote', '-q', a.file], { env })).code, 0);
        const r = await runCli(['promote', '-q', b.file], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stdout,
          /Promoted .* to 1\.1\.0 \(was 1\.0\.0\): 2 copies serving \(no `gateway`: there is no endpoint to move/,
        );
        assert.deepEqual(await copyVersions(a.mc.name), ['1.1.0', '1.1.0']);
        assert.equal(await findKeeper(engine, a.mc.name), undefined);
      },
    );
  });
});
