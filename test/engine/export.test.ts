// Exports against a real engine: the ejected Dockerfile and context, built by the engine with
// the docker CLI (the test's own tool; the product drives the engine through its API), give
// the image `mastercopy build` gives and serve what a printed copy serves; the exported
// devcontainer.json is opened by the Dev Containers CLI and a command runs inside it.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildMasterCopy } from '../../src/core/build/build';
import { disposeCopies } from '../../src/core/copies/dispose';
import { printCopies } from '../../src/core/copies/print';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { exportMasterCopy, writeExport } from '../../src/core/export';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
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
import { runCli } from '../support/cli';
import { repoRoot } from '../support/repoRoot';

const NAME = `mc-export-${testRunId}`;
const RUN_LABEL = `${TEST_RUN_LABEL}=${testRunId}`;
const DEVCONTAINER_CLI = join(repoRoot(), 'node_modules/@devcontainers/cli/devcontainer.js');
const tempDirs: string[] = [];

/** A child process with the test engine as DOCKER_HOST; its output, or an error with all of it. */
function run(file: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST, ...env },
        timeout: 180_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        err
          ? reject(
              new Error(
                `${basename(file)} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`,
              ),
            )
          : resolve(stdout),
    );
  });
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

/** The transaction-service example under this run's name, in a folder of its own. */
function example(): { mc: MasterCopy; folder: string; fileName: string } {
  const folder = mkdtempSync(join(tmpdir(), 'mastercopy-export-engine-'));
  tempDirs.push(folder);
  cpSync(join(repoRoot(), 'examples/transaction-service'), folder, { recursive: true });
  const fileName = 'transaction-service.mastercopy.yaml';
  const file = join(folder, fileName);
  const text = readFileSync(file, 'utf8').replace(/^name: transaction-service$/m, `name: ${NAME}`);
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(result.masterCopy, result.diagnostics.map((d) => d.message).join('\n'));
  return { mc: result.masterCopy, folder, fileName };
}

/** Every file of an image with its mode, owner and sha256, listed by a throwaway container of it. */
async function imageFiles(image: string): Promise<string> {
  const script =
    'find /etc/transactions /srv -xdev \\( -type f -o -type l -o -type d \\) | sort | ' +
    'while read -r f; do s=$(stat -c "%a %u:%g %F" "$f"); ' +
    'if [ -f "$f" ] && [ ! -L "$f" ]; then h=$(sha256sum "$f" | cut -d" " -f1); else h=; fi; echo "$f $s $h"; done';
  return run('docker', [
    'run',
    '--rm',
    '--label',
    RUN_LABEL,
    '--user',
    '0',
    '--entrypoint',
    '/bin/sh',
    image,
    '-c',
    script,
  ]);
}

describe('export against a real engine', function () {
  this.timeout(240_000);
  let engine: EngineClient;
  let svc: ReturnType<typeof example>;
  const ejectedTag = `${NAME}-ejected:1.0.0`;
  let devFolder: string | undefined;

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
    svc = example();
  });

  after(async () => {
    await disposeCopies(engine, { name: NAME, all: true }, { stopTimeoutSeconds: 1 }).catch(
      () => undefined,
    );
    // The dev container carries the run's label (--id-label): the run's cleanup removes it too.
    await cleanupTestRun();
    const left = await rawDocker().listContainers({ all: true, filters: { label: [RUN_LABEL] } });
    assert.deepEqual(left, [], 'nothing of this run is left on the engine');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  it('the ejected Dockerfile and context build the same image content and serve what a print serves', async () => {
    const built = await buildMasterCopy(engine, svc.mc, svc.folder, { extraLabels: testRunLabels });
    const out = join(mkdtempSync(join(tmpdir(), 'mastercopy-eject-')), 'eject');
    tempDirs.push(join(out, '..'));
    const result = await exportMasterCopy(
      svc.mc,
      'dockerfile',
      { fileName: svc.fileName },
      { folder: svc.folder },
    );
    await writeExport(result, out);
    // The classic builder, as the product's build through the API uses.
    await run('docker', ['build', '-q', '-t', ejectedTag, '--label', RUN_LABEL, out], {
      DOCKER_BUILDKIT: '0',
    });

    const ours = await rawDocker().getImage(built.imageId).inspect();
    const ejected = await rawDocker().getImage(ejectedTag).inspect();
    // The same labels the build adds (the base image's id is the engine's, not the export's).
    for (const [k, v] of Object.entries(built.plan.labels))
      assert.equal(ejected.Config.Labels[k], v, k);
    assert.deepEqual(ejected.Config.Env, ours.Config.Env);
    assert.deepEqual(ejected.Config.Cmd, ours.Config.Cmd);
    assert.equal(ejected.Config.User, ours.Config.User);
    assert.equal(ejected.Config.WorkingDir, ours.Config.WorkingDir);
    assert.deepEqual(ejected.Config.ExposedPorts, ours.Config.ExposedPorts);
    // The classic builder makes the very same layers of the same context: byte for byte the same files.
    assert.deepEqual(ejected.RootFS.Layers, ours.RootFS.Layers);
    const files = await imageFiles(ejectedTag);
    assert.match(files, /\/srv\/www\/cgi-bin\/transactions 755 0:0 /);
    assert.equal(files, await imageFiles(built.tag), 'the same files, modes, owners and contents');

    // A copy of the ejected image, hardened like a print, and a printed copy answer alike.
    const container = await rawDocker().createContainer({
      Image: ejectedTag,
      Labels: testRunLabels,
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Tmpfs: { '/tmp': '' },
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
    });
    await container.start();
    const ejectedPort = Number(
      (await container.inspect()).NetworkSettings.Ports['8080/tcp']![0]!.HostPort,
    );
    const printed = await printCopies(engine, svc.mc, svc.folder, {
      copies: 1,
      env: {},
      readFile: (p) => readFile(p, 'utf8'),
      extraLabels: testRunLabels,
    });
    assert.deepEqual(printed.unhealthy, []);
    const printedPort = printed.copies[0]!.ports.find((p) => p.containerPort === 8080)!.hostPort!;
    let fromEjected: { status: number | undefined; body: string } | undefined;
    await waitFor('the ejected copy to answer', async () => {
      fromEjected = await get(ejectedPort, '/').catch(() => undefined);
      return fromEjected?.status === 200;
    });
    const fromPrinted = await get(printedPort, '/');
    assert.equal(fromPrinted.status, 200);
    assert.equal(fromEjected!.body, fromPrinted.body);
    assert.equal(
      (await get(ejectedPort, '/health')).status,
      (await get(printedPort, '/health')).status,
    );
  });

  it("a dockerfile: master copy's eject (an escape directive, labels quoted with `) builds with its labels", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mastercopy-export-worker-'));
    tempDirs.push(folder);
    cpSync(join(repoRoot(), 'test/unit/export/fixtures/worker'), folder, { recursive: true });
    const file = join(folder, 'worker.mastercopy.yaml');
    const text = readFileSync(file, 'utf8').replace(/^name: worker$/m, `name: ${NAME}-worker`);
    writeFileSync(file, text);
    const mc = validateText(text, { path: file }, nodeFileAccess).masterCopy!;
    assert.ok(mc);
    const result = await exportMasterCopy(
      mc,
      'dockerfile',
      { fileName: basename(file) },
      { folder },
    );
    const out = join(folder, '..', `${basename(folder)}-eject`);
    tempDirs.push(out);
    await writeExport(result, out);
    const tag = `${NAME}-worker-ejected:2.1.0`;
    await run('docker', ['build', '-q', '-t', tag, '--label', RUN_LABEL, out], {
      DOCKER_BUILDKIT: '0',
    });
    const built = await buildMasterCopy(engine, mc, folder, { extraLabels: testRunLabels });
    const ejected = await rawDocker().getImage(tag).inspect();
    for (const [k, v] of Object.entries(built.plan.labels))
      assert.equal(ejected.Config.Labels[k], v, k);
    const ours = await rawDocker().getImage(built.imageId).inspect();
    assert.deepEqual(ejected.RootFS.Layers, ours.RootFS.Layers);
  });

  it('the exported devcontainer.json opens in the Dev Containers CLI as the master copy says', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mastercopy-devcontainer-'));
    tempDirs.push(root);
    devFolder = join(root, 'workspace');
    mkdirSync(devFolder);
    writeFileSync(join(devFolder, 'hello.txt'), 'from the workspace\n');
    // The image first, with the run's labels (so that cleanup finds it); then the CLI's
    // `export --build`, for which it is then up to date.
    await buildMasterCopy(engine, svc.mc, svc.folder, { extraLabels: testRunLabels });
    const exported = await runCli(
      [
        'export',
        join(svc.folder, svc.fileName),
        '--to',
        'devcontainer',
        '--build',
        '--out',
        devFolder,
      ],
      { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST } },
    );
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, new RegExp(`${NAME}:1\\.0\\.0: up to date`));

    // The run's label (so that its cleanup removes the dev container) and one of its own: the
    // CLI finds its container by all of them, and the printed copies carry the run's label too.
    const common = [
      '--workspace-folder',
      devFolder,
      '--id-label',
      RUN_LABEL,
      '--id-label',
      `io.mastercopy.test-devcontainer=${testRunId}`,
      '--docker-path',
      'docker',
    ];
    const up = await run(process.execPath, [
      DEVCONTAINER_CLI,
      'up',
      ...common,
      '--log-format',
      'json',
    ]);
    const outcome = JSON.parse(up.trim().split('\n').pop()!) as {
      outcome: string;
      containerId: string;
    };
    assert.equal(outcome.outcome, 'success', up);

    const inside = await run(process.execPath, [
      DEVCONTAINER_CLI,
      'exec',
      ...common,
      '/bin/sh',
      '-c',
      'echo "user=$(id -u) log=$LOG_LEVEL data=$TRANSACTIONS_DATA"; cat /etc/transactions/config.yaml; ' +
        'cat "$PWD/hello.txt"; touch /tmp/t && echo tmp-writable',
    ]);
    assert.match(inside, /user=1000 log=info data=\/srv\/data\/transactions\.csv/);
    assert.match(inside, /currency: EUR/);
    assert.match(inside, /from the workspace/);
    assert.match(inside, /tmp-writable/);

    const info = await rawDocker().getContainer(outcome.containerId).inspect();
    assert.equal(info.Config.Image, `${NAME}:1.0.0`);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.ok(info.HostConfig.SecurityOpt?.some((o: string) => o.startsWith('no-new-privileges')));
    assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(
      info.Config.Labels[TEST_RUN_LABEL],
      testRunId,
      'the dev container carries the run label',
    );
  });
});
