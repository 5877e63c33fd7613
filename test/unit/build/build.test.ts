import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buildMasterCopy, type BuildEvent } from '../../../src/core/build/build';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { BuildPlanError, BuildRefusedError, BuildStepError } from '../../../src/core/build/errors';
import { planBuild } from '../../../src/core/build/plan';
import type {
  BuildOptions,
  BuildProgress,
  EngineClient,
  ImageDetails,
} from '../../../src/core/engine/EngineClient';
import { EngineBuildError } from '../../../src/core/engine/errors';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { fixtureFolder, removeFixtures } from './fixture';

const MC: MasterCopy = {
  mastercopy: 1,
  name: 'demo',
  version: '1.0.0',
  from: 'busybox:stable',
  env: { A: '1' },
  build: { steps: ['echo one', 'exit 3', 'echo three'] },
  files: [{ path: '/srv/www', source: './www' }],
};

interface FakeBuild {
  options: BuildOptions;
  context: Buffer;
}

/**
 * An engine that knows some images and "builds" by reading the whole context and then
 * replaying `script`: Step lines and output, and an error at the end if `failWith` is set.
 */
function fakeEngine(
  images: Record<string, Partial<ImageDetails>>,
  script: { output: string[]; failWith?: string; beforeRead?: () => void } = { output: [] },
) {
  const builds: FakeBuild[] = [];
  const engine = {
    endpoint: { host: 'unix:///fake.sock', source: 'default', dockerodeOptions: {} },
    async inspectImage(ref: string): Promise<ImageDetails | undefined> {
      const i = images[ref];
      return i
        ? { id: `sha256:${ref.length}`, tags: [ref], labels: {}, created: '', size: 0, ...i }
        : undefined;
    },
    async buildImage(
      context: Readable,
      options: BuildOptions,
      onProgress?: (p: BuildProgress) => void,
    ): Promise<{ imageId: string }> {
      script.beforeRead?.();
      const chunks: Buffer[] = [];
      for await (const c of context) chunks.push(c as Buffer);
      builds.push({ options, context: Buffer.concat(chunks) });
      for (const text of script.output) onProgress?.({ kind: 'output', text });
      if (script.failWith) throw new EngineBuildError(options.tag, script.failWith, script.output);
      return { imageId: 'sha256:new' };
    },
  };
  return { engine: engine as unknown as EngineClient, builds };
}

const BASE_IMAGE = { 'busybox:stable': {} };

describe('buildMasterCopy', () => {
  after(removeFixtures);
  const folder = () => fixtureFolder({ 'www/index.html': 'hi' });

  it("builds NAME:VERSION with our labels and the plan's build args, reporting steps with their origin", async () => {
    const dir = folder();
    const { engine, builds } = fakeEngine(BASE_IMAGE, {
      output: [
        'Step 1/9 : FROM busybox:stable',
        ' ---> abc',
        'Step 2/9 : ENV A="1"',
        'Step 6/9 : COPY ["files/0", "/srv/www"]',
        'Successfully built 123',
      ],
    });
    const events: BuildEvent[] = [];
    const result = await buildMasterCopy(engine, MC, dir, {
      onProgress: (e) => events.push(e),
      extraLabels: { 'test-run': 'x', 'io.mastercopy.digest': 'forged' },
    });
    assert.equal(result.status, 'built');
    assert.equal(result.tag, 'demo:1.0.0');
    assert.equal(result.imageId, 'sha256:new');
    assert.equal(builds.length, 1);
    assert.equal(builds[0].options.tag, 'demo:1.0.0');
    assert.equal(
      builds[0].options.labels['io.mastercopy.digest'],
      result.digest,
      'our labels win over extra ones',
    );
    assert.equal(builds[0].options.labels['test-run'], 'x');
    // The id `from` names now: `mastercopy diff` tells from it when the tag has moved since.
    assert.equal(builds[0].options.labels['io.mastercopy.base-image-id'], 'sha256:14');
    assert.ok(builds[0].context.includes(Buffer.from('RUN ["/bin/sh", "-c", "exit 3"]')));
    const steps = events.filter((e) => e.kind === 'step');
    assert.deepEqual(
      steps.map((s) => [s.step, s.total, s.origin]),
      [
        [1, 9, ['from']],
        [2, 9, ['env', 'A']],
        [6, 9, ['files', 0]],
      ],
    );
    assert.deepEqual(result.log, [
      'Step 1/9 : FROM busybox:stable',
      ' ---> abc',
      'Step 2/9 : ENV A="1"',
      'Step 6/9 : COPY ["files/0", "/srv/www"]',
      'Successfully built 123',
    ]);
  });

  it('does nothing when NAME:VERSION exists with the same digest', async () => {
    const dir = folder();
    const { digest } = await planBuild(MC, dir, nodeBuildFileSystem);
    const { engine, builds } = fakeEngine({
      ...BASE_IMAGE,
      'demo:1.0.0': { id: 'sha256:old', labels: { 'io.mastercopy.digest': digest } },
    });
    const result = await buildMasterCopy(engine, MC, dir);
    assert.deepEqual(
      [result.status, result.imageId, result.digest],
      ['up-to-date', 'sha256:old', digest],
    );
    assert.equal(builds.length, 0);
  });

  it('refuses to build a version that exists with another digest, or that is not ours', async () => {
    const dir = folder();
    const { engine, builds } = fakeEngine({
      ...BASE_IMAGE,
      'demo:1.0.0': { labels: { 'io.mastercopy.digest': 'sha256:0ld' } },
    });
    await assert.rejects(buildMasterCopy(engine, MC, dir), (e: Error) => {
      assert.ok(e instanceof BuildRefusedError);
      assert.match(
        e.message,
        /^demo:1\.0\.0 already exists with a different content \(digest sha256:0ld, .*\); a version is immutable — bump `version`\.$/,
      );
      assert.deepEqual(e.path, ['version']);
      return true;
    });
    const foreign = fakeEngine({ ...BASE_IMAGE, 'demo:1.0.0': { labels: {} } });
    await assert.rejects(buildMasterCopy(foreign.engine, MC, dir), /not built by Master Copy/);
    assert.equal(builds.length + foreign.builds.length, 0);
  });

  it('maps a failing step back to the master copy: build.steps[1]', async () => {
    const output = [
      'Step 1/9 : FROM busybox:stable',
      'Step 2/9 : ENV A="1"',
      'Step 3/9 : RUN ["/bin/sh", "-c", "echo one"]',
      'one',
      'Step 4/9 : RUN ["/bin/sh", "-c", "exit 3"]',
      ' ---> Running in 0123',
    ];
    const { engine } = fakeEngine(BASE_IMAGE, {
      output,
      failWith: "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
    });
    await assert.rejects(buildMasterCopy(engine, MC, folder()), (e: Error) => {
      assert.ok(e instanceof BuildStepError, `${e.name}: ${e.message}`);
      assert.deepEqual(e.path, ['build', 'steps', 1]);
      assert.equal(e.step, 4);
      assert.equal(e.instruction, 'RUN ["/bin/sh", "-c", "exit 3"]');
      assert.match(e.message, /returned a non-zero code: 3/);
      assert.deepEqual(e.tail(2), [
        'Step 4/9 : RUN ["/bin/sh", "-c", "exit 3"]',
        ' ---> Running in 0123',
      ]);
      return true;
    });
  });

  it("says when the engine's disk is full, and what to do, beside the engine's words", async () => {
    const { engine } = fakeEngine(BASE_IMAGE, {
      output: [
        'Step 4/9 : RUN ["/bin/sh", "-c", "exit 3"]',
        "dd: error writing '/big': No space left on device",
      ],
      failWith: "The command '/bin/sh -c dd …' returned a non-zero code: 1",
    });
    await assert.rejects(buildMasterCopy(engine, MC, folder()), (e: Error) => {
      assert.ok(e instanceof BuildStepError);
      assert.match(
        e.message,
        /returned a non-zero code: 1\. The engine's disk is full: free space/,
      );
      assert.match(e.message, /nothing of this build was tagged\.$/);
      return true;
    });
  });

  it('maps a failing COPY to its files entry and a failure in the appended labels to `labels`', async () => {
    for (const [step, path] of [
      [6, ['files', 0]],
      [9, ['labels']],
    ] as const) {
      const { engine } = fakeEngine(BASE_IMAGE, { output: [`Step ${step}/9 : X`], failWith: 'no' });
      await assert.rejects(
        buildMasterCopy(engine, MC, folder()),
        (e: Error) =>
          e instanceof BuildStepError && JSON.stringify(e.path) === JSON.stringify(path),
      );
    }
  });

  it('says the base image is missing instead of letting the engine try a registry', async () => {
    const { engine, builds } = fakeEngine({});
    await assert.rejects(
      buildMasterCopy(engine, MC, folder()),
      (e: Error) =>
        e instanceof BuildPlanError && e.path?.[0] === 'from' && /never pulls/.test(e.message),
    );
    assert.equal(builds.length, 0);
  });

  it('fails when a source changes while it is being sent, instead of labelling the image with a wrong digest', async () => {
    const dir = fixtureFolder({ 'www/index.html': 'hi' });
    const { engine } = fakeEngine(BASE_IMAGE, {
      output: [],
      beforeRead: () => writeFileSync(join(dir, 'www/index.html'), 'HI'),
    });
    await assert.rejects(
      buildMasterCopy(engine, MC, dir),
      (e: Error) =>
        e instanceof BuildPlanError &&
        /changed while/.test(e.message) &&
        e.path?.join('.') === 'files.0',
    );
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled by the user'));
    const { engine } = fakeEngine(BASE_IMAGE);
    await assert.rejects(
      buildMasterCopy(engine, MC, folder(), { signal: ac.signal }),
      /cancelled by the user/,
    );
  });
});
