import * as assert from 'node:assert/strict';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { canonicalJson } from '../../../src/core/build/digest';
import { planBuild } from '../../../src/core/build/plan';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { fixtureFolder, removeFixtures } from './fixture';

const MC: MasterCopy = {
  mastercopy: 1,
  name: 'transaction-service',
  version: '1.0.0',
  from: 'busybox:stable',
  files: [
    { path: '/etc/transactions/config.yaml', content: 'currency: EUR\n' },
    { path: '/srv/www', source: './www' },
  ],
  env: { LOG_LEVEL: 'info', WORKERS: 4 },
  ports: [8080],
  runtime: { memory: '64m' },
};

const digestOf = async (mc: MasterCopy, folder: string) =>
  (await planBuild(mc, folder, nodeBuildFileSystem)).digest;
const www = () => fixtureFolder({ 'www/index.html': '<h1>hi</h1>', 'www/health': 'ok' });

describe('io.mastercopy.digest', () => {
  after(removeFixtures);

  it('is the same for the same master copy and files, in another folder too', async () => {
    const a = await digestOf(MC, www());
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await digestOf(MC, www()), a);
    assert.equal(await digestOf(structuredClone(MC), www()), a);
  });

  it('does not depend on key order, scalar spelling or the short port form', async () => {
    const folder = www();
    const reordered: MasterCopy = {
      runtime: { memory: '64m' },
      ports: [{ port: 8080, protocol: 'tcp' }],
      env: { WORKERS: '4', LOG_LEVEL: 'info' },
      files: [
        { content: 'currency: EUR\n', path: '/etc/transactions/config.yaml' },
        { source: './www', path: '/srv/www' },
      ],
      from: 'busybox:stable',
      version: '1.0.0',
      name: 'transaction-service',
      mastercopy: 1,
    };
    assert.equal(await digestOf(reordered, folder), await digestOf(MC, folder));
  });

  it('leaves out what does not change the image: copies, gateway, description, owners', async () => {
    const folder = www();
    const base = await digestOf(MC, folder);
    assert.equal(
      await digestOf(
        {
          ...MC,
          copies: 7,
          gateway: { port: 18080, target: 8080 },
          description: 'new words',
          owners: ['ops'],
        },
        folder,
      ),
      base,
    );
  });

  it('changes with anything else in the master copy', async () => {
    const folder = www();
    const base = await digestOf(MC, folder);
    const variants: Partial<MasterCopy>[] = [
      { env: { LOG_LEVEL: 'debug', WORKERS: 4 } },
      { files: [MC.files![1], MC.files![0]] },
      { files: [{ ...MC.files![0], mode: '0600' }, MC.files![1]] },
      { runtime: { memory: '128m' } },
      { ports: [8081] },
      { build: { steps: ['true'] } },
      { labels: { team: 'payments' } },
      { user: '1000' },
    ];
    for (const v of variants)
      assert.notEqual(await digestOf({ ...MC, ...v }, folder), base, JSON.stringify(v));
  });

  it('changes when a source file changes: its content, its mode, its name', async () => {
    const folder = www();
    const base = await digestOf(MC, folder);
    writeFileSync(join(folder, 'www/health'), 'OK');
    const edited = await digestOf(MC, folder);
    assert.notEqual(edited, base);
    chmodSync(join(folder, 'www/health'), 0o600);
    const chmodded = await digestOf(MC, folder);
    assert.notEqual(chmodded, edited);
    renameSync(join(folder, 'www/health'), join(folder, 'www/healthz'));
    assert.notEqual(await digestOf(MC, folder), chmodded);
  });

  it('writes canonical JSON with sorted keys at every level', () => {
    assert.equal(
      canonicalJson({ b: [{ d: 1, c: 2 }], a: 'x', u: undefined }),
      '{"a":"x","b":[{"c":2,"d":1}]}',
    );
  });
});
