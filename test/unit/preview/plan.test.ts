import * as assert from 'node:assert/strict';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { planBuild } from '../../../src/core/build/plan';
import type { CopyRecord } from '../../../src/core/copies/ps';
import { EngineUnreachableError } from '../../../src/core/engine/errors';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import {
  computePlan,
  planFromEngineState,
  type EngineState,
  type EngineStatus,
} from '../../../src/core/preview/plan';
import { fixtureFolder, removeFixtures } from '../build/fixture';
import { FakeEngine } from '../copies/fakeEngine';

const MC: MasterCopy = {
  mastercopy: 1,
  name: 'demo',
  version: '2.0.0',
  from: 'busybox:stable',
  ports: [8080],
  copies: 3,
};
const BUILD = { tag: 'demo:2.0.0', digest: 'sha256:new', baseImage: 'busybox:stable' };
const UP: EngineStatus = { reachable: true, host: 'unix:///fake.sock' };

function copy(version: string, index: number, more: Partial<CopyRecord> = {}): CopyRecord {
  const id = `${version}-${index}`.padEnd(64, '0');
  return {
    name: 'demo',
    version,
    index,
    id,
    shortId: id.slice(0, 12),
    state: 'running',
    health: 'healthy',
    ports: [],
    image: `demo:${version}`,
    digest: 'sha256:x',
    digestMatches: true,
    ...more,
  };
}

function image(digest: string | undefined): EngineState['image'] {
  const labels: Record<string, string> = { [LABEL_MANAGED]: 'true' };
  if (digest !== undefined) labels[LABEL_DIGEST] = digest;
  return { id: 'sha256:img', labels };
}

describe('preview plan (from the engine state)', () => {
  it('no image: would build; print would build, then add `copies` copies from index 0; nothing running → promote is a first print', () => {
    const plan = planFromEngineState(MC, BUILD, { copies: [], baseImagePresent: true }, UP);
    assert.deepEqual(plan.build, {
      tag: 'demo:2.0.0',
      digest: 'sha256:new',
      state: 'would-build',
      baseImage: { ref: 'busybox:stable', present: true },
    });
    assert.deepEqual(plan.print, {
      copies: 3,
      running: [],
      wouldAdd: 3,
      firstIndex: 0,
      wouldBuild: true,
    });
    assert.deepEqual(plan.promote, {
      state: 'nothing-running',
      from: [],
      to: '2.0.0',
      target: 3,
      wouldPrint: 3,
      wouldDispose: [],
    });
    assert.deepEqual(plan.engine, UP);
  });

  it('no image and no base image: would build, and says the base is missing', () => {
    const plan = planFromEngineState(MC, BUILD, { copies: [], baseImagePresent: false }, UP);
    assert.equal(plan.build.state, 'would-build');
    assert.deepEqual(plan.build.baseImage, { ref: 'busybox:stable', present: false });
  });

  it('the same digest: up to date, print adds without building', () => {
    const plan = planFromEngineState(MC, BUILD, { image: image('sha256:new'), copies: [] }, UP);
    assert.equal(plan.build.state, 'up-to-date');
    assert.equal(plan.build.existingDigest, 'sha256:new');
    assert.equal(plan.print.wouldBuild, false);
    assert.equal(plan.print.wouldAdd, 3);
    assert.equal(plan.print.blockedBy, undefined);
  });

  it('a different digest: refused (with the existing digest), and print and promote with it', () => {
    const plan = planFromEngineState(
      MC,
      BUILD,
      { image: image('sha256:old'), copies: [copy('1.0.0', 0)] },
      UP,
    );
    assert.equal(plan.build.state, 'refused');
    assert.equal(plan.build.existingDigest, 'sha256:old');
    assert.equal(plan.build.foreignImage, undefined);
    assert.equal(plan.print.blockedBy, 'refused');
    assert.equal(plan.print.wouldAdd, 0);
    assert.equal(plan.promote.state, 'refused');
    assert.equal(plan.promote.wouldPrint, 0);
    assert.deepEqual(plan.promote.wouldDispose, []);
  });

  it('an image of that tag without our digest label: refused as foreign', () => {
    const plan = planFromEngineState(MC, BUILD, { image: image(undefined), copies: [] }, UP);
    assert.equal(plan.build.state, 'refused');
    assert.equal(plan.build.foreignImage, true);
    assert.equal(plan.build.existingDigest, undefined);
  });

  it('engine down: every part says so, nothing would be added', () => {
    const down: EngineStatus = {
      reachable: false,
      host: 'unix:///fake.sock',
      error: 'not reachable',
    };
    const plan = planFromEngineState(
      { ...MC, gateway: { port: 18080, target: 8080 } },
      BUILD,
      undefined,
      down,
    );
    assert.equal(plan.build.state, 'engine-down');
    assert.equal(plan.build.digest, 'sha256:new', 'the digest is known without an engine');
    assert.equal(plan.print.blockedBy, 'engine-down');
    assert.equal(plan.print.wouldAdd, 0);
    assert.equal(plan.promote.state, 'engine-down');
    assert.deepEqual(plan.promote.gateway, { port: 18080, target: 8080 });
    assert.deepEqual(plan.engine, down);
  });

  it('copies of other versions running: promote would print N of the new and dispose of the old (every state counted)', () => {
    const copies = [
      copy('1.0.0', 0),
      copy('1.0.0', 1, { health: 'unhealthy' }),
      copy('1.0.0', 2, { state: 'exited', health: 'none' }),
      copy('1.10.0', 0),
      copy('1.9.0', 4, { health: 'none' }),
    ];
    const plan = planFromEngineState(MC, BUILD, { image: image('sha256:new'), copies }, UP);
    assert.deepEqual(plan.print.running, [
      { version: '1.0.0', count: 3, running: 2, healthy: 1 },
      { version: '1.9.0', count: 1, running: 1, healthy: 1 },
      { version: '1.10.0', count: 1, running: 1, healthy: 1 },
    ]);
    assert.equal(plan.print.firstIndex, 0, 'indices of other versions do not count');
    assert.deepEqual(plan.promote, {
      state: 'would-promote',
      from: ['1.0.0', '1.9.0', '1.10.0'],
      to: '2.0.0',
      target: 3,
      wouldPrint: 3,
      wouldDispose: [
        { version: '1.0.0', count: 3 },
        { version: '1.9.0', count: 1 },
        { version: '1.10.0', count: 1 },
      ],
    });
  });

  it('some copies of this version already: print continues after the highest index, promote prints only the missing ones', () => {
    const copies = [copy('2.0.0', 0), copy('2.0.0', 4), copy('1.0.0', 0)];
    const plan = planFromEngineState(MC, BUILD, { image: image('sha256:new'), copies }, UP);
    assert.equal(plan.print.firstIndex, 5);
    assert.equal(plan.print.wouldAdd, 3, 'print always adds N');
    assert.equal(plan.promote.wouldPrint, 1);
    assert.deepEqual(plan.promote.wouldDispose, [{ version: '1.0.0', count: 1 }]);
  });

  it('only this version runs, with enough copies: promote is up to date', () => {
    const copies = [copy('2.0.0', 0), copy('2.0.0', 1), copy('2.0.0', 2)];
    const plan = planFromEngineState(MC, BUILD, { image: image('sha256:new'), copies }, UP);
    assert.equal(plan.promote.state, 'up-to-date');
    assert.equal(plan.promote.wouldPrint, 0);
    assert.deepEqual(plan.promote.from, []);
  });

  it("ignores another master copy's copies; `copies` defaults to 1", () => {
    const { copies: _, ...one } = MC;
    const plan = planFromEngineState(
      one,
      BUILD,
      { copies: [copy('1.0.0', 0, { name: 'other' })] },
      UP,
    );
    assert.equal(plan.print.copies, 1);
    assert.deepEqual(plan.print.running, []);
    assert.equal(plan.promote.state, 'nothing-running');
  });

  it('is JSON as it is', () => {
    const plan = planFromEngineState(
      MC,
      BUILD,
      { image: image('sha256:new'), copies: [copy('1.0.0', 0)] },
      UP,
    );
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  });
});

describe('preview plan (computePlan against an engine)', () => {
  let folder: string;
  before(() => {
    folder = fixtureFolder({ 'www/index.html': '<h1>hi</h1>' });
  });
  after(removeFixtures);
  const mc: MasterCopy = { ...MC, files: [{ path: '/srv/www', source: './www' }] };

  function addCopy(engine: FakeEngine, version: string, index: number, running = true): void {
    const id = `${version}-${index}`.padEnd(64, 'c');
    const labels = {
      [LABEL_MANAGED]: 'true',
      [LABEL_NAME]: 'demo',
      [LABEL_VERSION]: version,
      [LABEL_COPY]: String(index),
      [LABEL_DIGEST]: 'sha256:old',
    };
    engine.containers.set(id, {
      id,
      spec: { image: `demo:${version}`, name: `demo-${version}-${index}`, labels },
      labels,
      running,
      hostPorts: [],
    });
  }

  it('asks the engine: same digest → up to date; copies of 1.0.0 → would promote; it changes nothing', async () => {
    const engine = new FakeEngine();
    const { digest } = await planBuild(mc, folder, nodeBuildFileSystem);
    engine.images.set('demo:2.0.0', {
      id: 'sha256:a',
      tags: ['demo:2.0.0'],
      labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_NAME]: 'demo',
        [LABEL_VERSION]: '2.0.0',
        [LABEL_DIGEST]: digest,
      },
      created: '',
      size: 0,
    });
    addCopy(engine, '1.0.0', 0);
    addCopy(engine, '1.0.0', 1, false);
    const { plan, buildPlan, copies } = await computePlan(engine, mc, folder, {
      fs: nodeBuildFileSystem,
    });
    assert.equal(buildPlan.digest, digest);
    assert.equal(plan.build.state, 'up-to-date');
    assert.deepEqual(
      plan.build.baseImage,
      { ref: 'busybox:stable', present: false },
      'the fake engine has no busybox',
    );
    assert.equal(copies?.length, 2);
    assert.deepEqual(plan.print.running, [{ version: '1.0.0', count: 2, running: 1, healthy: 1 }]);
    assert.deepEqual(plan.promote.wouldDispose, [{ version: '1.0.0', count: 2 }]);
    assert.deepEqual(plan.engine, { reachable: true, host: 'unix:///fake.sock' });
    assert.ok(
      engine.calls.every((c) => c.startsWith('list')),
      `only lists and inspects: ${engine.calls.join(', ')}`,
    );
  });

  it('an engine that does not answer gives an engine-down plan, not an error', async () => {
    const engine = new FakeEngine();
    engine.inspectImage = async () => {
      throw new EngineUnreachableError('unix:///fake.sock', 'connect ENOENT');
    };
    const { plan, copies } = await computePlan(engine, mc, folder, { fs: nodeBuildFileSystem });
    assert.equal(plan.build.state, 'engine-down');
    assert.equal(plan.engine.reachable, false);
    assert.equal(plan.engine.host, 'unix:///fake.sock');
    assert.match(plan.engine.error ?? '', /not reachable at unix:\/\/\/fake\.sock/);
    assert.equal(copies, undefined);
  });

  it('no engine at all: engine-down with the reason given', async () => {
    const { plan } = await computePlan(undefined, mc, folder, {
      fs: nodeBuildFileSystem,
      noEngineReason: 'DOCKER_CONTEXT names no context',
    });
    assert.equal(plan.build.state, 'engine-down');
    assert.deepEqual(plan.engine, { reachable: false, error: 'DOCKER_CONTEXT names no context' });
  });

  it('an abort is thrown, not reported as engine-down', async () => {
    const engine = new FakeEngine();
    const abort = new AbortController();
    engine.inspectImage = async () => {
      abort.abort();
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    };
    await assert.rejects(
      computePlan(engine, mc, folder, { fs: nodeBuildFileSystem, signal: abort.signal }),
      { name: 'AbortError' },
    );
  });
});
