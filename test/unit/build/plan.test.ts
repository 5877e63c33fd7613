import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { contextStream } from '../../../src/core/build/context';
import { BuildPlanError } from '../../../src/core/build/errors';
import { planBuild, type BuildPlan } from '../../../src/core/build/plan';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { fixtureFolder, removeFixtures } from './fixture';

const BASE: MasterCopy = { mastercopy: 1, name: 'demo', version: '1.0.0', from: 'busybox:stable' };

const plan = (mc: Partial<MasterCopy>, folder: string) =>
  planBuild({ ...BASE, ...mc }, folder, nodeBuildFileSystem);
const paths = (p: BuildPlan) => p.context.map((e) => e.path);
const entry = (p: BuildPlan, path: string) => {
  const e = p.context.find((c) => c.path === path);
  assert.ok(e, `${path} not in the context: ${paths(p).join(', ')}`);
  return e;
};

/** The context as the engine gets it, unpacked by GNU tar into a fresh folder. */
async function unpack(p: BuildPlan): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of contextStream(p, nodeBuildFileSystem)) chunks.push(c as Buffer);
  const dir = mkdtempSync(join(tmpdir(), 'mastercopy-context-'));
  execFileSync('tar', ['-x', '-p', '-C', dir, '-f', '-'], { input: Buffer.concat(chunks) });
  return dir;
}

async function rejectsAt(
  promise: Promise<unknown>,
  path: (string | number)[],
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (e: Error) => {
    assert.ok(e instanceof BuildPlanError, `${e.name}: ${e.message}`);
    assert.deepEqual(e.path, path);
    assert.match(e.message, message);
    return true;
  });
}

describe('build plan', () => {
  after(removeFixtures);

  it('takes only the files the master copy refers to, never the rest of the folder', async () => {
    const folder = fixtureFolder({
      'www/index.html': '<h1>hi</h1>',
      'www/health': 'ok',
      'www/sub/deep.txt': 'deep',
      'api/transactions.sh': { content: '#!/bin/sh\n', mode: 0o755 },
      'data/transactions.csv': 'a,b\n',
      'unrelated/secret-notes.txt': 'not for the image',
      '.git/config': '[core]',
      'node_modules/x/index.js': '',
    });
    const p = await plan(
      {
        files: [
          { path: '/etc/app/config.yaml', content: 'currency: EUR\n' },
          { path: '/srv/www', source: './www' },
          { path: '/srv/www/cgi-bin/transactions', source: 'api/transactions.sh' },
          { path: '/srv/data/transactions.csv', source: './data/transactions.csv' },
        ],
      },
      folder,
    );
    assert.deepEqual(paths(p), [
      'Dockerfile',
      'files',
      'files/0',
      'files/1',
      'files/1/health',
      'files/1/index.html',
      'files/1/sub',
      'files/1/sub/deep.txt',
      'files/2',
      'files/3',
    ]);
    assert.equal(p.dockerfilePath, 'Dockerfile');
    assert.equal(entry(p, 'Dockerfile').content?.toString(), p.dockerfileText);
    assert.match(p.dockerfileText ?? '', /^COPY \["files\/1", "\/srv\/www"\]$/m);
    assert.equal(entry(p, 'files/0').content?.toString(), 'currency: EUR\n');
    assert.deepEqual(entry(p, 'files/1/sub').origin, ['files', 1]);

    const dir = await unpack(p);
    try {
      assert.equal(readFileSync(join(dir, 'files/1/sub/deep.txt'), 'utf8'), 'deep');
      assert.equal(readFileSync(join(dir, 'files/2'), 'utf8'), '#!/bin/sh\n');
      assert.equal(readFileSync(join(dir, 'Dockerfile'), 'utf8'), p.dockerfileText);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps file modes, applies `mode`, and puts the modes into the archive', async () => {
    const folder = fixtureFolder({
      'bin/tool': { content: 'x', mode: 0o750 },
      'bin/setuid': { content: 'x', mode: 0o4755 },
      'site/a.html': { content: 'a', mode: 0o600 },
      'site/inner': { dir: true, mode: 0o700 },
      'site/inner/b.html': { content: 'b', mode: 0o644 },
    });
    const p = await plan(
      {
        files: [
          { path: '/usr/local/bin/tool', source: './bin/tool' },
          { path: '/usr/local/bin/setuid', source: './bin/setuid' },
          { path: '/usr/local/bin/tool2', source: './bin/tool', mode: '0555' },
          { path: '/srv/site', source: './site', mode: '0640' },
          { path: '/etc/motd', content: 'hello' },
          { path: '/etc/secret-ish', content: 'x', mode: '0600' },
        ],
      },
      folder,
    );
    const modes = Object.fromEntries(p.context.map((e) => [e.path, e.mode.toString(8)]));
    assert.deepEqual(modes, {
      Dockerfile: '644',
      files: '755',
      'files/0': '750',
      'files/1': '755', // setuid/setgid/sticky only from an explicit `mode`
      'files/2': '555',
      'files/3': '750', // a folder under `mode`: search allowed where reading is
      'files/3/a.html': '640',
      'files/3/inner': '750',
      'files/3/inner/b.html': '640',
      'files/4': '644',
      'files/5': '600',
    });
    const dir = await unpack(p);
    try {
      for (const [path, mode] of Object.entries(modes))
        assert.equal((lstatSync(join(dir, path)).mode & 0o7777).toString(8), mode, path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copies a symbolic link inside a source folder as a link, never following it', async () => {
    const folder = fixtureFolder({
      'www/index.html': 'hi',
      'www/passwd': { symlink: '/etc/passwd' },
      'www/home': { symlink: 'index.html' },
    });
    const p = await plan({ files: [{ path: '/srv/www', source: './www' }] }, folder);
    assert.deepEqual(
      p.context.filter((e) => e.type === 'symlink').map((e) => [e.path, e.linkTarget]),
      [
        ['files/0/home', 'index.html'],
        ['files/0/passwd', '/etc/passwd'],
      ],
    );
    assert.equal(entry(p, 'files/0/passwd').hostPath, undefined, 'nothing is read through a link');
    const dir = await unpack(p);
    try {
      assert.equal(readlinkSync(join(dir, 'files/0/passwd')), '/etc/passwd');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a source that leads out of the folder, also through a link', async () => {
    const outside = fixtureFolder({ 'secret.txt': 'outside' });
    const folder = fixtureFolder({
      'escape.txt': { symlink: join(outside, 'secret.txt') },
      'escape-dir': { symlink: outside },
    });
    await rejectsAt(
      plan({ files: [{ path: '/a', source: './escape.txt' }] }, folder),
      ['files', 0, 'source'],
      /leads outside the master copy's folder/,
    );
    await rejectsAt(
      plan(
        {
          files: [
            { path: '/a', content: 'x' },
            { path: '/b', source: 'escape-dir' },
          ],
        },
        folder,
      ),
      ['files', 1, 'source'],
      /leads outside/,
    );
    await rejectsAt(
      plan({ files: [{ path: '/a', source: '../secret.txt' }] }, folder),
      ['files', 0, 'source'],
      /leads outside|does not exist/,
    );
    await rejectsAt(
      plan({ files: [{ path: '/a', source: '/etc/passwd' }] }, folder),
      ['files', 0, 'source'],
      /relative/,
    );
    await rejectsAt(
      plan({ files: [{ path: '/a', source: './missing' }] }, folder),
      ['files', 0, 'source'],
      /does not exist/,
    );
  });

  it('never puts a secret file into the context', async () => {
    const folder = fixtureFolder({ 'conf/app.conf': 'a', 'conf/api-key': 'SUPER-SECRET' });
    const secrets = [{ name: 'API_KEY', fromFile: './conf/api-key' }];
    const p = await plan({ secrets, files: [{ path: '/etc/conf', source: './conf' }] }, folder);
    assert.deepEqual(paths(p), ['Dockerfile', 'files', 'files/0', 'files/0/app.conf']);
    await rejectsAt(
      plan({ secrets, files: [{ path: '/etc/key', source: './conf/api-key' }] }, folder),
      ['files', 0, 'source'],
      /secret/,
    );
  });

  it("tags NAME:VERSION and labels it with ours and the master copy's labels, as strings", async () => {
    const p = await plan(
      {
        labels: { team: 'payments', tier: 1, public: false },
        build: { args: { CURRENCY: 'EUR', RETRIES: 3 } },
      },
      fixtureFolder({}),
    );
    assert.equal(p.tag, 'demo:1.0.0');
    assert.deepEqual(p.labels, {
      team: 'payments',
      tier: '1',
      public: 'false',
      'io.mastercopy.name': 'demo',
      'io.mastercopy.version': '1.0.0',
      'io.mastercopy.digest': p.digest,
      // The image carries its master copy (canonical, secrets by name only): rollback and drift need nothing else.
      'io.mastercopy.master-copy': JSON.stringify({
        build: { args: { CURRENCY: 'EUR', RETRIES: '3' } },
        from: 'busybox:stable',
        labels: { public: 'false', team: 'payments', tier: '1' },
        mastercopy: 1,
        name: 'demo',
        version: '1.0.0',
      }),
      // The files it copies (none here), for `mastercopy diff`: an empty list, not a missing one.
      'io.mastercopy.files': '{}',
      'io.mastercopy.managed': 'true',
    });
    assert.match(p.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(p.buildArgs, { CURRENCY: 'EUR', RETRIES: '3' });
    assert.deepEqual(paths(p), ['Dockerfile']);
  });

  it('lists the files it copies where they land in the image, with mode, size and hash, in a label', async () => {
    const folder = fixtureFolder({
      'www/index.html': '<h1>hi</h1>',
      'www/sub/deep.txt': { content: 'deep', mode: 0o644 },
      'api/run.sh': { content: '#!/bin/sh\n', mode: 0o755 },
    });
    const p = await plan(
      {
        files: [
          { path: '/etc/app/config.yaml', content: 'currency: EUR\n' },
          { path: '/srv/www', source: './www' },
          { path: '/srv/www/index.html', source: 'api/run.sh', mode: '0700' },
        ],
      },
      folder,
    );
    const hash = (text: string) => createHash('sha256').update(text).digest('hex');
    // The later entry on /srv/www/index.html wins, as its COPY does; folders are not listed.
    assert.equal(
      p.labels['io.mastercopy.files'],
      JSON.stringify({
        '/etc/app/config.yaml': `0644 14 ${hash('currency: EUR\n')}`,
        '/srv/www/index.html': `0700 10 ${hash('#!/bin/sh\n')}`,
        '/srv/www/sub/deep.txt': `0644 4 ${hash('deep')}`,
      }),
    );
  });

  it('with `dockerfile:`, sends the folder without .git, node_modules, master copies, secrets and what .dockerignore lists', async () => {
    const folder = fixtureFolder({
      'docker/Dockerfile': 'FROM busybox:stable\nCOPY . /app\n',
      'app.mastercopy.yaml': 'mastercopy: 1',
      '.dockerignore': '# build output\n**/*.log\ntmp\n!tmp/keep.txt\ndocker/Dockerfile\n',
      'src/main.sh': 'echo hi',
      'src/debug.log': 'noise',
      'tmp/scratch': 'x',
      'tmp/keep.txt': 'keep',
      '.git/HEAD': 'ref',
      'node_modules/a/b.js': '',
      'secrets/db-password': 'hunter2',
    });
    const p = await planBuild(
      {
        mastercopy: 1,
        name: 'demo',
        version: '2',
        dockerfile: './docker/Dockerfile',
        secrets: [{ name: 'DB_PASSWORD', fromFile: './secrets/db-password' }],
      },
      folder,
      nodeBuildFileSystem,
    );
    assert.equal(p.dockerfilePath, 'docker/Dockerfile');
    assert.equal(p.dockerfileText, undefined);
    assert.deepEqual(p.instructions, []);
    assert.deepEqual(paths(p), [
      '.dockerignore',
      'docker',
      'docker/Dockerfile',
      'secrets',
      'src',
      'src/main.sh',
      'tmp/keep.txt',
    ]);
    assert.ok(p.context.every((e) => !e.generated));
  });
});
