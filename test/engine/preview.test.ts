import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMasterCopy } from '../../src/core/build/build';
import { nodeBuildFileSystem } from '../../src/core/build/buildFileSystem';
import { printCopies } from '../../src/core/copies/print';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { computePlan } from '../../src/core/preview/plan';
import {
  TEST_ENGINE_HOST,
  cleanupTestRun,
  ensureEngine,
  testRunId,
  testRunLabels,
} from '../support/engine';

/** Unique per run: never a user's image or another run's. */
const NAME = `mc-preview-${testRunId}`;

describe('preview plan against a real engine', function () {
  this.timeout(120_000);
  let engine: EngineClient;
  let folder: string;
  const file = () => join(folder, 'preview.mastercopy.yaml');

  function write(version: string): MasterCopy {
    const text = `mastercopy: 1
name: ${NAME}
version: "${version}"
from: busybox:stable
files:
  - path: /srv/www
    source: ./www
command: ["/bin/sh", "-c", "sleep 3600"]
copies: 1
`;
    writeFileSync(file(), text);
    const v = validateText(text, { path: file() }, nodeFileAccess);
    assert.ok(v.masterCopy, v.diagnostics.map((d) => d.message).join('\n'));
    return v.masterCopy;
  }

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps({})));
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-preview-engine-'));
    mkdirSync(join(folder, 'www'));
    writeFileSync(join(folder, 'www', 'index.html'), 'one\n');
  });
  after(async () => {
    await cleanupTestRun();
    rmSync(folder, { recursive: true, force: true });
  });

  it(
    'not built → would build; built → up to date; source changed → refused; ' +
      'copies of the old version → promote disposes them',
    async () => {
      const v1 = write('1.0.0');
      let { plan } = await computePlan(engine, v1, folder, { fs: nodeBuildFileSystem });
      assert.equal(plan.engine.reachable, true);
      assert.equal(plan.build.state, 'would-build');
      assert.deepEqual(plan.build.baseImage, { ref: 'busybox:stable', present: true });
      assert.equal(plan.promote.state, 'nothing-running');

      const built = await buildMasterCopy(engine, v1, folder, { extraLabels: testRunLabels });
      ({ plan } = await computePlan(engine, v1, folder, { fs: nodeBuildFileSystem }));
      assert.equal(plan.build.state, 'up-to-date');
      assert.equal(plan.build.existingDigest, built.digest);
      assert.equal(plan.build.digest, built.digest, 'the preview digest is the build digest');
      assert.equal(plan.print.wouldBuild, false);

      writeFileSync(join(folder, 'www', 'index.html'), 'two\n');
      ({ plan } = await computePlan(engine, v1, folder, { fs: nodeBuildFileSystem }));
      assert.equal(plan.build.state, 'refused');
      assert.equal(plan.build.existingDigest, built.digest);
      assert.notEqual(plan.build.digest, built.digest);
      assert.equal(plan.print.blockedBy, 'refused');
      assert.equal(plan.promote.state, 'refused');

      // Back to the built content, one copy printed; then version 2.0.0 would replace it.
      writeFileSync(join(folder, 'www', 'index.html'), 'one\n');
      await printCopies(engine, v1, folder, {
        copies: 1,
        env: {},
        readFile: () => '',
        extraLabels: testRunLabels,
      });
      const v2 = write('2.0.0');
      const computed = await computePlan(engine, v2, folder, { fs: nodeBuildFileSystem });
      assert.equal(computed.plan.build.state, 'would-build');
      assert.deepEqual(computed.plan.print.running, [
        { version: '1.0.0', count: 1, running: 1, healthy: 1 },
      ]);
      assert.deepEqual(computed.plan.promote, {
        state: 'would-promote',
        from: ['1.0.0'],
        to: '2.0.0',
        target: 1,
        wouldPrint: 1,
        wouldDispose: [{ version: '1.0.0', count: 1 }],
      });
      assert.deepEqual(
        computed.copies?.map((c) => [c.name, c.version, c.index, c.state]),
        [[NAME, '1.0.0', 0, 'running']],
      );
    },
  );

  it('an engine that is not there: engine-down, the digest still known', async () => {
    const gone = createEngineClient(
      resolveEngineHost('unix:///nonexistent/docker.sock', nodeHostResolutionDeps({})),
    );
    const { plan } = await computePlan(gone, write('1.0.0'), folder, { fs: nodeBuildFileSystem });
    assert.equal(plan.build.state, 'engine-down');
    assert.match(plan.build.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(plan.engine.reachable, false);
    assert.match(plan.engine.error ?? '', /not reachable at unix:\/\/\/nonexistent\/docker\.sock/);
  });
});
