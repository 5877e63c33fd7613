// A name that starts with two dots is a name inside the folder; only `..` as a whole
// segment leads out. Secrets, validation and the build plan all ask the same question.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { planBuild } from '../../../src/core/build/plan';
import { resolveSecrets } from '../../../src/core/copies/secrets';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { validateText } from '../../../src/core/mastercopy/validator';
import { climbsOut, isOutside } from '../../../src/core/util/paths';

const BASE: MasterCopy = { mastercopy: 1, name: 'demo', version: '1.0.0', from: 'busybox:stable' };

describe('names that start with two dots', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'mc-dotdot-'));
    writeFileSync(join(folder, '..hidden'), 'secret-value\n');
    writeFileSync(join(folder, '...conf'), 'conf');
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('are inside the folder; `..` as a segment is not', () => {
    for (const rel of ['..hidden', '...', '..a/b', 'a/..b'])
      assert.equal(climbsOut(rel), false, rel);
    for (const rel of ['..', '../x', '/abs']) assert.equal(climbsOut(rel), true, rel);
    assert.equal(isOutside('/srv/mc', '/srv/mc/..hidden'), false);
    assert.equal(isOutside('/srv/mc', '/srv/other'), true);
  });

  it('are read as secret files (it said "outside the folder")', async () => {
    const read = (p: string) => require('node:fs').readFileSync(p, 'utf8') as string;
    for (const fromFile of ['..hidden', './..hidden']) {
      assert.deepEqual(
        await resolveSecrets({ ...BASE, secrets: [{ name: 'K', fromFile }] }, folder, {}, read),
        { K: 'secret-value' },
      );
    }
    await assert.rejects(
      resolveSecrets(
        { ...BASE, secrets: [{ name: 'K', fromFile: '../..hidden' }] },
        folder,
        {},
        read,
      ),
      /outside the master copy's folder/,
    );
  });

  it('are accepted by validation and taken into the build context', async () => {
    const text =
      'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\nfiles:\n' +
      '  - { path: /etc/a.conf, source: ...conf }\nsecrets:\n  - { name: K, fromFile: ..hidden }\n';
    assert.deepEqual(
      validateText(text, { path: join(folder, 'a.mastercopy.yaml') }, nodeFileAccess).diagnostics,
      [],
    );
    const plan = await planBuild(
      { ...BASE, files: [{ path: '/etc/a.conf', source: '...conf' }] },
      folder,
      nodeBuildFileSystem,
    );
    assert.ok(plan.context.some((e) => e.path === 'files/0' && e.size === 4));
  });
});
