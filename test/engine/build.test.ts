import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildMasterCopy, type BuildEvent } from '../../src/core/build/build';
import { BuildPlanError, BuildRefusedError, BuildStepError } from '../../src/core/build/errors';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import {
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../src/core/engine/labels';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { valueRange } from '../../src/core/mastercopy/schemaValidation';
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

const EXAMPLE = join(__dirname, '..', '..', '..', 'examples', 'transaction-service');
const EXAMPLE_FILE = 'transaction-service.mastercopy.yaml';
/** Unique per run, so that parallel runs and a user's own transaction-service:1.0.0 are never touched. */
const NAME = `mc-build-${testRunId}`;

type ImageHistory = { CreatedBy: string; Comment: string }[];

const folders: string[] = [];
/** Image ids of intermediate layers left by failed builds (they carry no labels). */
const leftovers = new Set<string>();

function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mastercopy-build-engine-'));
  folders.push(dir);
  return dir;
}

/** The example, copied to a temp folder under this run's name (and edited by `edit`). */
function exampleCopy(edit: (text: string) => string = (t) => t): { folder: string; file: string } {
  const folder = tempFolder();
  cpSync(EXAMPLE, folder, { recursive: true });
  const file = join(folder, EXAMPLE_FILE);
  writeFileSync(
    file,
    edit(readFileSync(file, 'utf8').replace(/^name: transaction-service$/m, `name: ${NAME}`)),
  );
  return { folder, file };
}

/** A master copy file written into a fresh folder, with `extra` files beside it. */
function masterCopyFolder(
  yaml: string,
  extra: Record<string, string> = {},
): { folder: string; file: string } {
  const folder = tempFolder();
  for (const [rel, content] of Object.entries(extra)) {
    const abs = join(folder, rel);
    cpSync(writeTemp(content), abs);
  }
  const file = join(folder, 'test.mastercopy.yaml');
  writeFileSync(file, yaml);
  return { folder, file };
}

function writeTemp(content: string): string {
  const p = join(tempFolder(), 'f');
  writeFileSync(p, content);
  return p;
}

function validated(file: string): {
  mc: MasterCopy;
  text: string;
  locate: (path: (string | number)[]) => string;
} {
  const text = readFileSync(file, 'utf8');
  const v = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(
    v.masterCopy,
    `the test master copy must be valid:\n${v.diagnostics.map((d) => d.message).join('\n')}`,
  );
  return {
    mc: v.masterCopy,
    text,
    locate: (path) => {
      const r = valueRange(v.parsed, path);
      return text.slice(r.start, r.end);
    },
  };
}

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined; // not answering yet
  }
}

describe('build against a real engine', () => {
  let engine: EngineClient;
  const build = (mc: MasterCopy, folder: string, onProgress?: (e: BuildEvent) => void) =>
    buildMasterCopy(engine, mc, folder, { extraLabels: testRunLabels, onProgress });

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
  });

  after(async () => {
    await cleanupTestRun();
    const docker = rawDocker();
    for (const id of leftovers)
      await docker
        .getImage(id)
        .remove()
        .catch(() => undefined); // still a parent of a cached layer: fine
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  describe('the transaction service example', () => {
    const example = () => exampleCopy();
    let shared: { folder: string; file: string };
    let tag: string;
    let imageId: string;
    let digest: string;

    before(() => {
      shared = example();
      tag = `${NAME}:1.0.0`;
    });

    it('builds with progress, tagged NAME:VERSION and labelled with name, version and digest', async () => {
      const { mc } = validated(shared.file);
      const steps: BuildEvent[] = [];
      const result = await build(mc, shared.folder, (e) => e.kind === 'step' && steps.push(e));
      assert.equal(result.status, 'built');
      assert.equal(result.tag, tag);
      assert.ok(steps.length >= 10, `steps: ${steps.length}`);
      assert.deepEqual(steps[0], {
        kind: 'step',
        step: 1,
        total: (steps[0] as { total: number }).total,
        instruction: 'FROM busybox:stable',
        origin: ['from'],
      });
      ({ imageId, digest } = result);
      const image = await engine.inspectImage(tag);
      assert.ok(image, `${tag} must exist`);
      assert.equal(image.id, imageId);
      assert.equal(image.labels[LABEL_NAME], NAME);
      assert.equal(image.labels[LABEL_VERSION], '1.0.0');
      assert.equal(image.labels[LABEL_DIGEST], digest);
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(image.labels[LABEL_MANAGED], 'true');
      assert.equal(image.labels.team, 'payments');
      assert.equal(image.labels[TEST_RUN_LABEL], testRunId);
    });

    it('runs as a hardened copy that answers /health and the transactions API', async () => {
      const { id } = await engine.createAndStartContainer({
        image: tag,
        labels: { ...testRunLabels, [LABEL_NAME]: NAME, [LABEL_VERSION]: '1.0.0' },
        ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1' }],
        tmpfs: ['/tmp'],
      });
      const details = await engine.inspectContainer(id);
      assert.ok(details?.readOnly && details.capDrop.includes('ALL'));
      let port: number | undefined;
      await waitFor(
        'the published port',
        async () =>
          (port = (await engine.inspectContainer(id))?.ports.find(
            (p) => p.containerPort === 8080 && p.hostPort,
          )?.hostPort) !== undefined,
        10_000,
      );
      let health: { status: number; body: string } | undefined;
      await waitFor(
        '/health to answer',
        async () => (health = await get(`http://127.0.0.1:${port}/health`))?.status === 200,
        20_000,
      );
      assert.equal(health?.body.trim(), 'ok');
      const api = await get(`http://127.0.0.1:${port}/cgi-bin/transactions?card=4111111111111111`);
      assert.equal(api?.status, 200, api?.body);
      const json = JSON.parse(api.body) as {
        card: string;
        currency: string;
        transactions: { merchant: string }[];
      };
      assert.equal(json.card, '4111111111111111');
      assert.equal(json.currency, 'EUR');
      assert.equal(json.transactions.length, 3);
    });

    it('does nothing when built again', async () => {
      const { mc } = validated(shared.file);
      const again = await build(mc, shared.folder);
      assert.deepEqual(
        [again.status, again.imageId, again.digest],
        ['up-to-date', imageId, digest],
      );
      assert.deepEqual(again.log, []);
    });

    it('refuses a changed source under the same version and leaves the old image alone', async () => {
      writeFileSync(join(shared.folder, 'www', 'health'), 'changed\n');
      const { mc } = validated(shared.file);
      await assert.rejects(build(mc, shared.folder), (e: Error) => {
        assert.ok(e instanceof BuildRefusedError, `${e.name}: ${e.message}`);
        assert.match(
          e.message,
          new RegExp(
            `^${NAME}:1\\.0\\.0 already exists with a different content \\(digest ${digest}, .*a version is immutable — bump \`version\``,
          ),
        );
        return true;
      });
      const image = await engine.inspectImage(tag);
      assert.equal(image?.id, imageId);
      assert.equal(image?.labels[LABEL_DIGEST], digest);
      // Bumping the version is the way: a new image beside the old one.
      const bumped = validated(
        exampleCopy((t) => t.replace('version: "1.0.0"', 'version: "1.0.1"')).file,
      );
      const next = await build(bumped.mc, shared.folder);
      assert.equal(next.status, 'built');
      assert.equal(next.tag, `${NAME}:1.0.1`);
      assert.equal((await engine.inspectImage(tag))?.id, imageId);
    });
  });

  it('points a failing build step at build.steps[i], with the output', async () => {
    const { file, folder } = masterCopyFolder(
      [
        'mastercopy: 1',
        `name: ${NAME}-fails`,
        'version: "1"',
        'from: busybox:stable',
        'build:',
        '  steps:',
        '    - mkdir -p /srv/data',
        '    - echo about to fail; exit 7',
        '    - echo never',
        '',
      ].join('\n'),
    );
    const { mc, locate } = validated(file);
    await assert.rejects(build(mc, folder), (e: Error) => {
      assert.ok(e instanceof BuildStepError, `${e.name}: ${e.message}`);
      assert.deepEqual(e.path, ['build', 'steps', 1]);
      assert.equal(locate(e.path), 'echo about to fail; exit 7');
      assert.match(e.message, /non-zero code: 7/);
      assert.ok(e.tail().includes('about to fail'), e.tail().join('\n'));
      for (const line of e.output) {
        const m = /^ ---> ([0-9a-f]{12})$/.exec(line);
        if (m) leftovers.add(m[1]);
      }
      return true;
    });
    assert.equal(await engine.inspectImage(`${NAME}-fails:1`), undefined, 'nothing is tagged');
  });

  it("the CLI points at the failing step's line, from build and from print alike", async () => {
    const { file, folder } = masterCopyFolder(
      [
        'mastercopy: 1',
        `name: ${NAME}-fails-cli`,
        'version: "1"',
        'from: busybox:stable',
        'build:',
        '  steps:',
        '    - mkdir -p /srv/data',
        '    - echo about to fail; exit 7',
        '',
      ].join('\n'),
    );
    for (const command of ['build', 'print']) {
      const r = await runCli([command, basename(file)], {
        cwd: folder,
        env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST },
      });
      assert.equal(r.code, 1, `${command}: ${r.stderr}`);
      // Line 8, column 7: the step's text after "    - ".
      assert.match(
        r.stderr,
        new RegExp(`^${basename(file).replace(/\./g, '\\.')}:8:7: error: .*non-zero code: 7`, 'm'),
        `${command}: ${r.stderr}`,
      );
      assert.match(r.stderr, /about to fail/, `${command} shows the step's last output`);
    }
    assert.equal(await engine.inspectImage(`${NAME}-fails-cli:1`), undefined, 'nothing is tagged');
  });

  it('keeps values with quotes, $, backslashes and spaces literal, and a multi-line step one RUN', async () => {
    const path = `/srv/it's a "file" $HOME \\x`;
    const envValue = `a "quoted" \\ $HOME 'single' {"json": [1]} \\`;
    const { file, folder } = masterCopyFolder(
      [
        'mastercopy: 1',
        `name: ${NAME}-literal`,
        'version: "1"',
        'from: busybox:stable',
        'build:',
        '  steps:',
        '    - |',
        '      echo one > /one',
        '      echo two > /two',
        'files:',
        `  - path: ${JSON.stringify(path)}`,
        '    content: payload',
        'env:',
        `  VALUE: ${JSON.stringify(envValue)}`,
        `workdir: ${JSON.stringify("/srv/it's here")}`,
        '',
      ].join('\n'),
    );
    const { mc } = validated(file);
    const result = await build(mc, folder);
    const info = await rawDocker().getImage(result.imageId).inspect();
    assert.ok(info.Config.Env.includes(`VALUE=${envValue}`), info.Config.Env.join('\n'));
    assert.equal(info.Config.WorkingDir, "/srv/it's here");
    const history = (await rawDocker().getImage(result.imageId).history()) as ImageHistory;
    assert.equal(history.filter((h) => /\/bin\/sh -c echo one/.test(h.CreatedBy)).length, 1);
    const { id } = await engine.createAndStartContainer({
      image: result.tag,
      labels: { ...testRunLabels },
      network: 'none',
      restart: 'no',
      command: [
        '/bin/sh',
        '-c',
        'test "$(cat "$1")" = payload && test -f /one && test -f /two',
        'check',
        path,
      ],
    });
    let exitCode = -1;
    await waitFor('the check to finish', async () => {
      const d = await engine.inspectContainer(id);
      if (!d || d.running) return false;
      exitCode = d.exitCode;
      return true;
    });
    assert.equal(exitCode, 0);
  });

  it('puts a secret in no label, no environment and no history entry', async () => {
    const SECRET_VALUE = `s3cr3t-${testRunId}`;
    const FILE_SECRET = `file-secret-${testRunId}`;
    process.env.MC_BUILD_TEST_DB_PASSWORD = SECRET_VALUE;
    try {
      const { file, folder } = masterCopyFolder(
        [
          'mastercopy: 1',
          `name: ${NAME}-secret`,
          'version: "1"',
          'from: busybox:stable',
          'files:',
          '  - path: /srv/conf',
          '    source: ./conf',
          'env: { LOG_LEVEL: info }',
          'labels: { team: payments }',
          'secrets:',
          '  - { name: DB_PASSWORD, fromEnv: MC_BUILD_TEST_DB_PASSWORD }',
          '  - { name: API_KEY, fromFile: ./conf/api-key }',
          '',
        ].join('\n'),
        { 'conf/app.conf': 'x=1\n', 'conf/api-key': FILE_SECRET },
      );
      const { mc } = validated(file);
      const result = await build(mc, folder);
      const docker = rawDocker();
      const info = await docker.getImage(result.imageId).inspect();
      const history = (await docker.getImage(result.imageId).history()) as ImageHistory;
      const labels = { ...info.Config.Labels };
      // The image carries its master copy, secrets by name only (DESIGN: rollback needs nothing else): names there, never values.
      const carried = labels['io.mastercopy.master-copy'] ?? '';
      delete labels['io.mastercopy.master-copy'];
      assert.deepEqual(JSON.parse(carried).secrets, [
        { name: 'DB_PASSWORD', fromEnv: 'MC_BUILD_TEST_DB_PASSWORD' },
        { name: 'API_KEY', fromFile: './conf/api-key' },
      ]);
      // (The classic builder also records that label as a LABEL step of the history.)
      const steps = history
        .map((h) => [h.CreatedBy, h.Comment])
        .filter(([by]) => !String(by).includes('io.mastercopy.master-copy='));
      const everything = JSON.stringify({
        labels,
        env: info.Config.Env,
        history: steps,
        dockerfile: result.plan.dockerfileText,
        args: result.plan.buildArgs,
      });
      for (const needle of ['DB_PASSWORD', 'API_KEY', 'api-key', SECRET_VALUE, FILE_SECRET])
        assert.ok(!everything.includes(needle), `${needle} found in ${everything}`);
      for (const needle of [SECRET_VALUE, FILE_SECRET])
        assert.ok(
          !carried.includes(needle) && !JSON.stringify(history).includes(needle),
          `the value ${needle} is in the image`,
        );
      assert.ok(
        !result.plan.context.some((e) => e.path.endsWith('api-key')),
        'the secret file never enters the build context',
      );
    } finally {
      delete process.env.MC_BUILD_TEST_DB_PASSWORD;
    }
  });

  it('says so when the base image is not on the engine', async () => {
    const { file, folder } = masterCopyFolder(
      [
        'mastercopy: 1',
        `name: ${NAME}-nobase`,
        'version: "1"',
        `from: mastercopy-no-such-base-${testRunId}:1`,
        '',
      ].join('\n'),
    );
    const { mc } = validated(file);
    await assert.rejects(
      build(mc, folder),
      (e: Error) =>
        e instanceof BuildPlanError && e.path?.[0] === 'from' && /never pulls/.test(e.message),
    );
  });
});
