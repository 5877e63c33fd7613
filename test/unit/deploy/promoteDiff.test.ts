// What a promote would change: two master copies compared over the fake engine — the
// active one as its image carries it (the labels its build plan gives), this one as planned.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { planBuild } from '../../../src/core/build/plan';
import { appendRecord } from '../../../src/core/deploy/ledger';
import {
  promoteDiff,
  promoteDiffLines,
  type PromoteDiff,
} from '../../../src/core/deploy/promoteDiff';
import type { ImageDetails } from '../../../src/core/engine/EngineClient';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { fixtureFolder, removeFixtures } from '../build/fixture';
import { FakeEngine } from '../copies/fakeEngine';

const SECRET_VALUE = 'hunter2-never-shown';

const V1: MasterCopy = {
  mastercopy: 1,
  name: 'shop',
  version: '1.0.0',
  from: 'busybox:stable',
  files: [
    { path: '/etc/shop/config.yaml', content: 'currency: EUR\nmax: 100\n' },
    { path: '/srv/www', source: './www' },
  ],
  env: { LOG_LEVEL: 'info', REGION: 'eu' },
  secrets: [{ name: 'DB_PASSWORD', fromEnv: 'SHOP_DB_PASSWORD' }],
  command: ['/bin/httpd', '-f', '-p', '8080'],
  ports: [8080],
  health: { http: { port: 8080, path: '/health' } },
  copies: 2,
  labels: { team: 'payments' },
};

const INDEX_V1 = '<h1>Shop</h1>\n<p>Open</p>\n<footer>2025</footer>\n';
const INDEX_V2 = '<h1>Shop</h1>\n<p>Closed on Sundays</p>\n<footer>2025</footer>\n';

/** An engine on which `mc` (planned in `folder`) was built and promoted by ann from commit abc…, with two copies. */
async function promoted(
  mc: MasterCopy,
  folder: string,
  more: { labels?: Record<string, string>; imageFiles?: Record<string, string> } = {},
): Promise<{ engine: FakeEngine; imageId: string }> {
  const engine = new FakeEngine();
  const plan = await planBuild(mc, folder, nodeBuildFileSystem);
  const imageId = 'sha256:' + 'a1'.repeat(32);
  const image: ImageDetails = {
    id: imageId,
    tags: [plan.tag],
    labels: { ...plan.labels, 'io.mastercopy.base-image-id': 'sha256:base1', ...more.labels },
    config: { env: [], user: '', workdir: '', cmd: [], entrypoint: [], volumes: [] },
    created: '2026-11-30T09:00:00.000Z',
    size: 0,
  };
  engine.images.set(imageId, image);
  engine.images.set(plan.tag, image);
  engine.images.set('busybox:stable', { ...image, id: 'sha256:base1', labels: {} });
  engine.imageFiles.set(
    imageId,
    new Map(Object.entries(more.imageFiles ?? {}).map(([p, t]) => [p, Buffer.from(t)])),
  );
  await appendRecord(engine, mc.name, {
    action: 'promote',
    version: mc.version,
    imageId,
    digest: plan.digest,
    outcome: 'promoted',
    at: '2026-11-30T10:00:00.000Z',
    by: { user: 'ann', host: 'box' },
    git: { commit: 'abc123def4567890', dirty: false },
    replaced: null,
    copies: 2,
    folder,
    gateway: null,
  });
  engine.addCopy({ name: mc.name, version: mc.version, index: 0 });
  engine.addCopy({ name: mc.name, version: mc.version, index: 1 });
  return { engine, imageId };
}

const changed = (d: PromoteDiff) => d.changes.map((c) => [c.kind, c.field, c.before, c.after]);

describe('promote diff', () => {
  after(removeFixtures);
  const saved = process.env.SHOP_DB_PASSWORD;
  before(() => (process.env.SHOP_DB_PASSWORD = SECRET_VALUE));
  after(() => {
    if (saved === undefined) delete process.env.SHOP_DB_PASSWORD;
    else process.env.SHOP_DB_PASSWORD = saved;
  });

  it('says field by field what changed: env, a file (with its unified diff, read from the image), a port', async () => {
    // Modes set: the umask does not decide what the test sees.
    const folder = fixtureFolder({
      'www/index.html': { content: INDEX_V1, mode: 0o644 },
      'www/health': { content: 'ok', mode: 0o644 },
    });
    const { engine } = await promoted(V1, folder, {
      imageFiles: { '/srv/www/index.html': INDEX_V1 },
    });
    writeFileSync(join(folder, 'www/index.html'), INDEX_V2);
    const v2: MasterCopy = {
      ...V1,
      version: '1.1.0',
      env: { LOG_LEVEL: 'debug', REGION: 'eu' },
      ports: [8081],
      health: { http: { port: 8081, path: '/health' } },
    };

    const d = await promoteDiff(engine, v2, folder);
    assert.deepEqual(d.active && [d.active.version, d.active.by, d.active.git?.commit], [
      '1.0.0',
      'ann@box',
      'abc123def4567890',
    ]);
    assert.deepEqual(changed(d), [
      ['changed', 'version', '1.0.0', '1.1.0'],
      [
        'changed',
        'file /srv/www/index.html',
        `0644, ${INDEX_V1.length} B, sha256:${d.changes[1].before?.slice(-12)}`,
        `0644, ${INDEX_V2.length} B, sha256:${d.changes[1].after?.slice(-12)}`,
      ],
      ['changed', 'env LOG_LEVEL', 'info', 'debug'],
      ['changed', 'ports', '8080/tcp', '8081/tcp'],
      ['changed', 'health', 'http port 8080 path /health', 'http port 8081 path /health'],
    ]);
    assert.deepEqual(d.changes[1].diff, [
      '--- a/srv/www/index.html',
      '+++ b/srv/www/index.html',
      '@@ -1,3 +1,3 @@',
      ' <h1>Shop</h1>',
      '-<p>Open</p>',
      '+<p>Closed on Sundays</p>',
      ' <footer>2025</footer>',
    ]);
    assert.equal(engine.imageFileReads, 1, 'the old files are read in one go');
    assert.deepEqual(d.notes, []);

    const lines = promoteDiffLines(d);
    assert.equal(lines[0], 'shop: 1.0.0 (active) → 1.1.0 (this file)');
    assert.equal(
      lines[1],
      '  promoted by ann@box at 2026-11-30 10:00:00Z, from commit abc123def456; image a1a1a1a1a1a1 built 2026-11-30 09:00:00Z',
    );
    assert.ok(lines.includes('~ env LOG_LEVEL: info → debug'));
    assert.ok(lines.includes('~ ports: 8080/tcp → 8081/tcp'));
    assert.ok(lines.includes('    -<p>Open</p>'));
    assert.equal(lines.at(-1), '5 changes: 0 added, 0 removed, 5 changed.');
  });

  it("never shows a secret's value: secrets are compared by name and source", async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const { engine } = await promoted(V1, folder);
    const v2: MasterCopy = {
      ...V1,
      version: '1.1.0',
      secrets: [
        { name: 'DB_PASSWORD', fromEnv: 'SHOP_DB_PASSWORD_2' },
        { name: 'API_TOKEN', fromEnv: 'SHOP_DB_PASSWORD' },
      ],
    };
    const d = await promoteDiff(engine, v2, folder);
    assert.deepEqual(changed(d).slice(1), [
      ['added', 'secret API_TOKEN', undefined, 'from env SHOP_DB_PASSWORD'],
      ['changed', 'secret DB_PASSWORD', 'from env SHOP_DB_PASSWORD', 'from env SHOP_DB_PASSWORD_2'],
    ]);
    const everything = JSON.stringify(d) + promoteDiffLines(d).join('\n');
    assert.ok(!everything.includes(SECRET_VALUE), 'the value is nowhere');
  });

  it('diffs an inline file from the old master copy itself, without reading the image', async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const { engine } = await promoted(V1, folder);
    const v2: MasterCopy = {
      ...V1,
      version: '1.1.0',
      files: [
        { path: '/etc/shop/config.yaml', content: 'currency: CHF\nmax: 100\n' },
        V1.files![1],
      ],
    };
    const d = await promoteDiff(engine, v2, folder);
    const file = d.changes.find((c) => c.field === 'file /etc/shop/config.yaml');
    assert.deepEqual(file?.diff, [
      '--- a/etc/shop/config.yaml',
      '+++ b/etc/shop/config.yaml',
      '@@ -1,2 +1,2 @@',
      '-currency: EUR',
      '+currency: CHF',
      ' max: 100',
    ]);
    assert.equal(engine.imageFileReads, 0);
  });

  it('says nothing changed when the file is the active version', async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const { engine } = await promoted(V1, folder);
    const d = await promoteDiff(engine, V1, folder);
    assert.deepEqual(d.changes, []);
    assert.equal(promoteDiffLines(d).at(-1), 'No change from the active version.');
  });

  it('with nothing active, shows the file as all new', async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const engine = new FakeEngine();
    const d = await promoteDiff(engine, V1, folder);
    assert.equal(d.active, null);
    assert.ok(d.changes.length > 10);
    assert.ok(d.changes.every((c) => c.kind === 'added' && c.before === undefined));
    const fields = d.changes.map((c) => c.field);
    for (const f of [
      'version',
      'from',
      'file /srv/www/index.html',
      'env LOG_LEVEL',
      'ports',
      'copies',
    ])
      assert.ok(fields.includes(f), f);
    assert.match(
      promoteDiffLines(d)[0],
      /^shop: nothing is active on this engine .*everything in 1\.0\.0 is new\.$/,
    );
  });

  it('an image built by an older Master Copy: files cannot be compared, and the base image cannot be told', async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const { engine, imageId } = await promoted(V1, folder);
    const image = engine.images.get(imageId)!;
    const labels = { ...image.labels };
    delete labels['io.mastercopy.files'];
    delete labels['io.mastercopy.base-image-id'];
    engine.images.set(imageId, { ...image, labels });
    writeFileSync(join(folder, 'www/index.html'), INDEX_V2);
    const d = await promoteDiff(engine, { ...V1, version: '1.0.1' }, folder);
    assert.deepEqual(changed(d), [['changed', 'version', '1.0.0', '1.0.1']]);
    assert.deepEqual(d.notes, [
      'files: cannot compare (built by an older Master Copy)',
      'base image: whether busybox:stable has moved since 1.0.0 was built cannot be told (built by an older Master Copy)',
    ]);
  });

  it('says when the base image tag moved since the active version was built', async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const { engine } = await promoted(V1, folder);
    const base = engine.images.get('busybox:stable')!;
    engine.images.set('busybox:stable', { ...base, id: 'sha256:base2' });
    const d = await promoteDiff(engine, { ...V1, version: '1.0.1' }, folder);
    const moved = d.changes.find((c) => c.field === 'base image');
    assert.deepEqual(moved && [moved.before, moved.after, moved.note], [
      'busybox:stable (base1)',
      'busybox:stable (base2)',
      'busybox:stable names another image than when 1.0.0 was built',
    ]);
  });

  it('with `dockerfile:`, compares the build context by path (no old content to diff), and says a rollback made it active', async () => {
    const folder = fixtureFolder({
      Dockerfile: 'FROM busybox:stable\nCOPY app /app\n',
      'app/main.sh': 'echo 1\n',
    });
    const mc: MasterCopy = {
      mastercopy: 1,
      name: 'own',
      version: '1.0.0',
      dockerfile: './Dockerfile',
    };
    const { engine } = await promoted(mc, folder);
    const record = (await engine.listVolumes({}))[0];
    const r = JSON.parse(record.labels['io.mastercopy.record']) as Record<string, unknown>;
    record.labels['io.mastercopy.record'] = JSON.stringify({
      ...r,
      action: 'rollback',
      outcome: 'rolled-back',
    });
    writeFileSync(join(folder, 'app/main.sh'), 'echo 2\n');
    const d = await promoteDiff(engine, { ...mc, version: '1.0.1' }, folder);
    assert.deepEqual(
      d.changes.map((c) => [c.field, c.note]),
      [
        ['version', undefined],
        [
          'file app/main.sh',
          'a file of the build context: its old content is not kept, no diff shown',
        ],
      ],
    );
    assert.match(promoteDiffLines(d)[1], /^ {2}made active again by a rollback by ann@box at /);
  });

  it('compares copies, gateway and autoscale with the ledger and the copies on the engine', async () => {
    const folder = fixtureFolder({ 'www/index.html': INDEX_V1 });
    const { engine } = await promoted(V1, folder);
    const d = await promoteDiff(
      engine,
      { ...V1, version: '1.1.0', copies: 5, gateway: { port: 18080, target: 8080 } },
      folder,
      { copies: 3 },
    );
    assert.deepEqual(changed(d).slice(1), [
      ['changed', 'copies', '2', '3'],
      ['added', 'gateway', undefined, 'port 18080 → 8080'],
    ]);
    // Without --copies a promote prints as many as serve now, whatever `copies` says.
    const same = await promoteDiff(engine, { ...V1, version: '1.1.0', copies: 5 }, folder);
    assert.deepEqual(changed(same), [['changed', 'version', '1.0.0', '1.1.0']]);
  });
});
