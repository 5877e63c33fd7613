// Podman (Debian's podman 4.3, its Docker-compatible API served by scripts/setup-podman.sh on
// /run/mastercopy-podman.sock) is an engine our users have (issue 14, defect 12): build,
// print with health.http, ps, logs, scale, drift, dispose, promote twice behind the keeper
// (which gets Podman's socket mounted), and the data the Copies view shows, all against it,
// through the CLI's entry point with DOCKER_HOST pointing at Podman, and through the core.
// Where Podman says things its own way — images named docker.io/library/NAME:VERSION, a
// label filter of images taking one label, writable /run, /tmp and /var/tmp on read-only
// containers, every dropped capability listed — the answers must still be Docker's.
import './podmanEngine';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeHttpProbe } from '../../src/core/copies/health';
import { listCopies } from '../../src/core/copies/ps';
import { readDeployOverviews } from '../../src/core/deploy/overview';
import { checkDrift } from '../../src/core/drift/drift';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_MANAGED, LABEL_NAME, LABEL_ROLE } from '../../src/core/engine/labels';
import { ROLE_KEEPER_IMAGE, keeperContainerName } from '../../src/core/keeper/keeperContainer';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { runCli } from '../support/cli';
import {
  PODMAN_SOCKET,
  TEST_ENGINE,
  TEST_ENGINE_HOST,
  cleanupTestRun,
  ensureEngine,
  rawDocker,
  testRunId,
  waitFor,
} from '../support/engine';
import { freePort, loadLoop } from '../support/load';
import { repoRoot } from '../support/repoRoot';
import { forgetNames, oursOf, removeFolders } from '../support/smallCopy';

const NAME = `mc-podman-${testRunId}`;
const KEEPER_SCRIPT = join(repoRoot(), 'dist', 'keeper.js');
const FAST_HEALTH = `health:\n  http: { port: 8080, path: /health }\n  interval: 500ms\n  timeout: 1s\n  retries: 2\n  startPeriod: 1s\n`;

interface Variant {
  mc: MasterCopy;
  file: string;
}

/** The Transaction Service example as master copy NAME at `version`, its page saying `v<version>`, behind `gatewayPort`. */
function variant(version: string, gatewayPort: number, folders: string[]): Variant {
  const folder = mkdtempSync(join(tmpdir(), 'mastercopy-podman-'));
  folders.push(folder);
  cpSync(join(repoRoot(), 'examples', 'transaction-service'), folder, { recursive: true });
  const page = join(folder, 'www', 'index.html');
  writeFileSync(
    page,
    readFileSync(page, 'utf8').replace('<h1>Transaction Service</h1>', `<h1>v${version}</h1>`),
  );
  const file = join(folder, 'transaction-service.mastercopy.yaml');
  const text = readFileSync(file, 'utf8')
    .replace(/^name: transaction-service$/m, `name: ${NAME}`)
    .replace(/^version: "1.0.0"$/m, `version: "${version}"`)
    .replace(/^health:\n(  .*\n)+/m, FAST_HEALTH)
    .replace(/^gateway: .*$/m, `gateway: { port: ${gatewayPort}, target: 8080 }`);
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(result.masterCopy, result.diagnostics.map((d) => d.message).join('\n'));
  return { mc: result.masterCopy, file };
}

/** The `<h1>` a GET of / on a loopback port answers with. */
async function title(port: number): Promise<string> {
  const r = await loadLoop(port, { total: 1, parallel: 1, deadlineMs: 10_000 }).done;
  if (r.ok !== 1) throw new Error(`GET :${port}/ failed: ${r.errors.join('; ')}`);
  return r.bodies[0];
}

interface PsRow {
  version: string;
  index: number;
  id: string;
  state: string;
  health: string;
  image: string;
  digestMatches: boolean;
  ports: { container: number; host: number | null }[];
}

/** Podman lists images by one label at a time (see listImages): the rest is checked here. */
async function imagesLabelled(key: string, value: string) {
  const list = await rawDocker().listImages({ filters: { label: [`${key}=${value}`] } });
  return list.filter((i) => i.Labels?.[LABEL_MANAGED] === 'true');
}

describe('Podman: build, print, ps, logs, scale, drift, dispose, promote and the tree, through its Docker API', function () {
  this.timeout(180_000);
  const folders: string[] = [];
  let engine: EngineClient;
  let gatewayPort: number;
  let v1: Variant;
  let v2: Variant;
  let keeperImagesBefore = new Set<string>();
  const cli = (args: string[]) =>
    runCli(args, {
      env: {
        ...process.env,
        DOCKER_HOST: TEST_ENGINE_HOST,
        // The bundle's keeper program: the in-process CLI is not beside it here.
        MASTERCOPY_KEEPER_SCRIPT: KEEPER_SCRIPT,
      },
    });
  const ps = async (): Promise<PsRow[]> => {
    const r = await cli(['ps', '--json', NAME]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as PsRow[];
  };

  before(async () => {
    assert.equal(TEST_ENGINE, 'podman');
    assert.equal(TEST_ENGINE_HOST, `unix://${PODMAN_SOCKET}`);
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
    gatewayPort = await freePort();
    v1 = variant('1.0.0', gatewayPort, folders);
    v2 = variant('2.0.0', gatewayPort, folders);
    keeperImagesBefore = new Set(
      (await imagesLabelled(LABEL_ROLE, ROLE_KEEPER_IMAGE)).map((i) => i.Id),
    );
  });

  after(async () => {
    // What the CLI made carries no run label: everything of NAME goes, then the run label's.
    await forgetNames(engine, [NAME]);
    // The keeper image, if this run built it (a base image or one there before stays).
    for (const i of await imagesLabelled(LABEL_ROLE, ROLE_KEEPER_IMAGE))
      if (!keeperImagesBefore.has(i.Id))
        await rawDocker()
          .getImage(i.Id)
          .remove()
          .catch(() => undefined);
    await cleanupTestRun();
    removeFolders(folders);
  });

  it('the engine under test is Podman, answering on its own socket', async () => {
    const version = (await rawDocker().version()) as { Components?: { Name: string }[] };
    assert.ok(
      version.Components?.some((c) => c.Name === 'Podman Engine'),
      JSON.stringify(version.Components),
    );
  });

  it('builds NAME:1.0.0 (Podman names it docker.io/library/NAME:1.0.0; the client says NAME:1.0.0)', async () => {
    const r = await cli(['build', v1.file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Built ${NAME}:1\\.0\\.0`));
    const [raw] = await imagesLabelled(LABEL_NAME, NAME);
    assert.deepEqual(raw?.RepoTags, [`docker.io/library/${NAME}:1.0.0`]);
    const listed = await engine.listImages({ [LABEL_NAME]: NAME });
    assert.deepEqual(
      listed.map((i) => i.tags),
      [[`${NAME}:1.0.0`]],
    );
    const again = await cli(['build', v1.file]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already built with this content: up to date/);
  });

  it('prints 2 hardened copies, healthy by health.http, that answer through their published ports', async () => {
    const r = await cli(['print', '--json', '--quiet', v1.file]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      status: string;
      copies: { id: string; index: number; ports: { container: number; host: number }[] }[];
    };
    assert.equal(result.status, 'healthy');
    assert.deepEqual(result.copies.map((c) => c.index).sort(), [0, 1]);
    for (const c of result.copies) {
      const host = c.ports.find((p) => p.container === 8080)?.host;
      assert.ok(host, JSON.stringify(c.ports));
      assert.equal(await title(host), 'v1.0.0');
      const info = await rawDocker().getContainer(c.id).inspect();
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      assert.ok(
        (info.HostConfig.SecurityOpt ?? []).some((o: string) => /^no-new-privileges/.test(o)),
      );
      assert.deepEqual(info.HostConfig.CapAdd ?? [], []);
    }
  });

  it('ps lists both copies running and healthy, their image NAME:1.0.0 and its digest matching (no "image changed")', async () => {
    const rows = await ps();
    assert.deepEqual(
      rows.map((c) => [c.version, c.index, c.state, c.health, c.image, c.digestMatches]),
      [
        ['1.0.0', 0, 'running', 'healthy', `${NAME}:1.0.0`, true],
        ['1.0.0', 1, 'running', 'healthy', `${NAME}:1.0.0`, true],
      ],
    );
    const table = await cli(['ps', NAME]);
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout, /image changed|image gone/);
    assert.equal((table.stdout.match(/running {2}healthy/g) ?? []).length, 2, table.stdout);
  });

  it("logs shows both copies' lines, prefixed with their index: httpd answering the health probes", async () => {
    const r = await cli(['logs', '--no-color', NAME]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 \| .*response:200/m);
    assert.match(r.stdout, /^1 \| .*response:200/m);
  });

  it("drift: freshly printed copies match their version (Podman's tmpfs, capabilities and env are its own)", async () => {
    const r = await cli(['drift', NAME]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/matches its version/g) ?? []).length, 2, r.stdout);
  });

  it('scales up to 3 and down to 1; ps agrees each time', async () => {
    const up = await cli(['scale', '--quiet', v1.file, '3']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(
      (await ps()).map((c) => [c.index, c.state, c.health]),
      [
        [0, 'running', 'healthy'],
        [1, 'running', 'healthy'],
        [2, 'running', 'healthy'],
      ],
    );
    const down = await cli(['scale', '--quiet', v1.file, '1']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      (await ps()).map((c) => c.index),
      [0],
    );
  });

  it('disposes of the copies and of their network; nothing of ours is left but state (desired count)', async () => {
    const r = await cli(['dispose', '--yes', '--timeout', '1', NAME]);
    assert.equal(r.code, 0, r.stderr);
    const left = await oursOf(NAME);
    assert.deepEqual(left.containers, []);
    assert.deepEqual(left.networks, []);
    assert.deepEqual(await ps(), []);
  });

  it("promotes 1.0.0: the keeper starts with Podman's socket mounted and the endpoint serves the copies", async () => {
    const r = await cli(['promote', '-q', v1.file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Promoted ${NAME} to 1\\.0\\.0`));
    assert.equal(await title(gatewayPort), 'v1.0.0');
    const keeper = await rawDocker().getContainer(keeperContainerName(NAME)).inspect();
    assert.deepEqual(
      (keeper.Mounts ?? []).map((m) => [m.Type, m.Source, m.Destination]),
      [['bind', PODMAN_SOCKET, '/var/run/docker.sock']],
    );
    assert.equal(keeper.HostConfig.ReadonlyRootfs, true);
    assert.equal(keeper.State.Running, true);
  });

  it('promotes 2.0.0 blue/green: a load loop through the endpoint sees no failure, then only 2.0.0; 1.0.0 is gone', async () => {
    // Until it is stopped, once answers after the promote came in (or the deadline).
    const load = loadLoop(gatewayPort, { total: 1_000_000, parallel: 3, deadlineMs: 90_000 });
    await waitFor('the load loop to get answers', () => load.okSoFar() > 20, 10_000, 20);
    const r = await cli(['promote', '-q', v2.file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /to 2\.0\.0 \(was 1\.0\.0\)/);
    const seen = load.okSoFar();
    await waitFor('answers after the promote', () => load.okSoFar() > seen + 30, 20_000, 20);
    load.stop();
    const result = await load.done;
    assert.equal(result.failed, 0, result.errors.join('; '));
    assert.ok(result.bodies.includes('v2.0.0'), 'the endpoint answered with 2.0.0');
    assert.equal(result.bodies.at(-1), 'v2.0.0');
    assert.equal(await title(gatewayPort), 'v2.0.0');
    assert.deepEqual(
      (await ps()).map((c) => [c.version, c.state, c.digestMatches]),
      [
        ['2.0.0', 'running', true],
        ['2.0.0', 'running', true],
      ],
    );
  });

  it('the endpoint reports 2.0.0 active with its 2 healthy copies (gateway --json); drift finds keeper and copies clean', async () => {
    const g = await cli(['gateway', '--json', NAME]);
    assert.equal(g.code, 0, g.stderr);
    const report = JSON.parse(g.stdout) as {
      active: string;
      port: number;
      copies: { version: string; healthy: boolean }[];
    };
    assert.equal(report.active, '2.0.0');
    assert.equal(report.port, gatewayPort);
    assert.deepEqual(
      report.copies.map((c) => [c.version, c.healthy]),
      [
        ['2.0.0', true],
        ['2.0.0', true],
      ],
    );
    const d = await cli(['drift', NAME]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.match(d.stdout, /the keeper of .*: matches its version/);
    assert.equal((d.stdout.match(/matches its version/g) ?? []).length, 3, d.stdout);
  });

  it("the Copies view's data: listCopies, readDeployOverviews and checkDrift read Podman as they read Docker", async () => {
    const [copies, overviews, drift] = await Promise.all([
      listCopies(engine, { name: NAME, probe: nodeHttpProbe, probeTimeoutMs: 2000 }),
      readDeployOverviews(engine, { statusTimeoutMs: 5000 }),
      checkDrift(engine, NAME),
    ]);
    assert.deepEqual(
      copies.map((c) => [c.version, c.index, c.state, c.health, c.image, c.digestMatches]),
      [
        ['2.0.0', 0, 'running', 'healthy', `${NAME}:2.0.0`, true],
        ['2.0.0', 1, 'running', 'healthy', `${NAME}:2.0.0`, true],
      ],
    );
    const o = overviews.get(NAME);
    assert.ok(o, [...overviews.keys()].join(', '));
    assert.deepEqual(
      o.ledger.map((r) => [r.version, r.outcome]),
      [
        ['1.0.0', 'promoted'],
        ['2.0.0', 'promoted'],
      ],
    );
    assert.equal(o.active?.version, '2.0.0');
    assert.equal(o.lock, undefined);
    assert.equal(o.endpoint?.state, 'serving', o.endpoint?.error);
    assert.equal(o.endpoint.active, '2.0.0');
    assert.equal(o.endpoint.url, `http://127.0.0.1:${gatewayPort}/`);
    assert.deepEqual(
      o.endpoint.copies.map((c) => [c.version, c.healthy]),
      [
        ['2.0.0', true],
        ['2.0.0', true],
      ],
    );
    assert.deepEqual(
      drift.map((c) => [c.role, c.version, c.state, c.items]),
      [
        ['keeper', '', 'clean', []],
        ['copy', '2.0.0', 'clean', []],
        ['copy', '2.0.0', 'clean', []],
      ],
    );
  });

  it('dispose --all takes the copies, the keeper and the network; the ledger stays until forgotten', async () => {
    const r = await cli(['dispose', '--all', '--yes', '--timeout', '1', NAME]);
    assert.equal(r.code, 0, r.stderr);
    const left = await oursOf(NAME);
    assert.deepEqual(left.containers, []);
    assert.deepEqual(left.networks, []);
    const h = await cli(['history', NAME]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /2\.0\.0/);
  });
});
