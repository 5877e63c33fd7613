// Two prints of one version at once (issue 14, suite item 3): both chose the same indices
// and each recorded the count it saw. The engine test (test/engine/concurrency.test.ts) races
// two real CLIs; this one makes the collision certain.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { planBuild } from '../../../src/core/build/plan';
import { ensureNetwork, printCopies, type PrintOptions } from '../../../src/core/copies/print';
import { readDesired } from '../../../src/core/deploy/desired';
import { EngineRequestError } from '../../../src/core/engine/errors';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { FakeEngine } from './fakeEngine';

const MC: MasterCopy = { mastercopy: 1, name: 'demo', version: '1.0.0', from: 'busybox:stable' };

describe('two prints of one version at once (fake engine)', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-print-race-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  async function engineWithImage(): Promise<FakeEngine> {
    const engine = new FakeEngine();
    const { digest, tag } = await planBuild(MC, folder, nodeBuildFileSystem);
    engine.images.set(tag, {
      id: 'sha256:1',
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
    return engine;
  }
  const options = (copies: number): PrintOptions => ({ env: {}, readFile: () => '', copies });

  it('both succeed with unique indices, and the desired count is the sum', async () => {
    const engine = await engineWithImage();
    const [a, b] = await Promise.all([
      printCopies(engine, MC, folder, options(2)),
      printCopies(engine, MC, folder, options(3)),
    ]);
    const indices = [...a.copies, ...b.copies].map((c) => c.index).sort((x, y) => x - y);
    assert.deepEqual(indices, [0, 1, 2, 3, 4]);
    assert.deepEqual(
      [...engine.containers.values()].map((c) => Number(c.labels[LABEL_COPY])).sort(),
      [0, 1, 2, 3, 4],
    );
    assert.equal((await readDesired(engine, MC.name)).get(MC.version)?.count, 5);
  });

  it('a name held by a container that is not ours is still an error that says so (no index is taken from it)', async () => {
    const engine = await engineWithImage();
    engine.containers.set('f'.repeat(64), {
      id: 'f'.repeat(64),
      spec: { image: 'busybox:stable', name: 'demo_1.0.0_0', labels: {} },
      labels: {},
      running: true,
      hostPorts: [],
    });
    await assert.rejects(
      printCopies(engine, MC, folder, options(1)),
      /A container named demo_1\.0\.0_0 exists already/,
    );
  });

  it('a start refused as "ambiguous" (a second network of the name) repairs the network and starts', async () => {
    const engine = await engineWithImage();
    const kept = await ensureNetwork(engine, MC.name, {});
    const create = engine.createAndStartContainer.bind(engine);
    let refused = 0;
    engine.createAndStartContainer = async (spec) => {
      if (refused++ === 0)
        throw new EngineRequestError(
          'start',
          400,
          `network mastercopy-demo is ambiguous (2 matches found on name)`,
        );
      return create(spec);
    };
    const result = await printCopies(engine, MC, folder, options(1));
    assert.deepEqual(
      result.copies.map((c) => c.index),
      [0],
    );
    assert.equal(refused, 2);
    assert.equal([...engine.containers.values()][0].spec.network, kept.id);
  });

  it('a start refused because the network went (an engine in swarm mode, the other print removed it) repairs and starts', async () => {
    const engine = await engineWithImage();
    const kept = await ensureNetwork(engine, MC.name, {});
    const create = engine.createAndStartContainer.bind(engine);
    let refused = 0;
    engine.createAndStartContainer = async (spec) => {
      if (refused++ === 0)
        throw new EngineRequestError(
          'start',
          500,
          'Could not attach to network mastercopy-demo: rpc error: code = NotFound desc = network mastercopy-demo not found',
        );
      return create(spec);
    };
    const result = await printCopies(engine, MC, folder, options(1));
    assert.deepEqual(
      result.copies.map((c) => c.index),
      [0],
    );
    assert.equal(refused, 2);
    assert.equal([...engine.containers.values()][0].spec.network, kept.id);
  });

  it('keeps the oldest of two networks of one name, whatever their ids', async () => {
    const engine = new FakeEngine();
    const labels = { [LABEL_MANAGED]: 'true', [LABEL_NAME]: 'demo' };
    engine.networks.push(
      {
        id: 'aaa',
        name: 'mastercopy-demo',
        driver: 'bridge',
        labels,
        created: '2026-12-01T10:00:01.5Z',
      },
      {
        id: 'zzz',
        name: 'mastercopy-demo',
        driver: 'bridge',
        labels,
        created: '2026-12-01T10:00:01.25Z',
      },
    );
    assert.equal((await ensureNetwork(engine, 'demo', {})).id, 'zzz');
    assert.deepEqual(
      engine.networks.map((n) => n.id),
      ['zzz'],
    );
  });
});
