// An untrusted workspace's preview reads the build context through a bounded file system:
// a folder nobody vouched for (huge files, a tree of many entries) stops the plan at the
// bound with a clear problem, and a small one is planned as usual.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  boundedBuildFileSystem,
  nodeBuildFileSystem,
  type ReadBounds,
} from '../../../src/core/build/buildFileSystem';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import { loadPreviewState } from '../../../src/core/preview/model';

describe('boundedBuildFileSystem (Restricted Mode preview)', () => {
  let folder: string;
  const text = 'mastercopy: 1\nname: shop\nversion: "1.0.0"\ndockerfile: ./Dockerfile\n';
  const plan = (bounds: ReadBounds) =>
    loadPreviewState(text, join(folder, 'shop.mastercopy.yaml'), {
      fs: boundedBuildFileSystem(nodeBuildFileSystem, bounds),
      files: nodeFileAccess,
      noEngineReason: 'untrusted',
    });

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-bounded-'));
    writeFileSync(join(folder, 'shop.mastercopy.yaml'), text);
    writeFileSync(join(folder, 'Dockerfile'), 'FROM busybox:stable\nCOPY . /app\n');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('plans a small context as usual', async () => {
    const state = await plan({ maxBytes: 2 ** 20, maxEntries: 100, reason: 'Restricted Mode' });
    assert.equal(state.buildError, undefined);
    assert.ok(state.buildPlan, 'planned');
  });

  it('stops at the entry bound with a problem that says why', async () => {
    mkdirSync(join(folder, 'many'));
    for (let i = 0; i < 50; i++) writeFileSync(join(folder, 'many', `f${i}`), 'x');
    const state = await plan({ maxBytes: 2 ** 20, maxEntries: 20, reason: 'Restricted Mode' });
    assert.equal(state.buildPlan, undefined);
    assert.match(
      state.buildError?.message ?? '',
      /^Restricted Mode: the build context has more than 20 entries, and no more are read\.$/,
    );
  });

  it('stops at the byte bound', async () => {
    writeFileSync(join(folder, 'big.bin'), Buffer.alloc(3 * 2 ** 20));
    const state = await plan({ maxBytes: 2 ** 20, maxEntries: 100, reason: 'Restricted Mode' });
    assert.match(
      state.buildError?.message ?? '',
      /^Restricted Mode: the build context holds more than 1 MiB, and no more is read\.$/,
    );
  });
});
