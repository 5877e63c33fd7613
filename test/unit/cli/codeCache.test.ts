// The CLI's start-up shortcut: its bundle is compiled through a V8 code cache on disk.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCacheDir, requireWithCodeCache } from '../../../src/cli/codeCache';
import { repoRoot } from '../../support/repoRoot';

// Node ≥ 22.1 caches compiled code itself (module.enableCompileCache); the CLI then uses that.
const builtin =
  typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe('CLI code cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-codecache-'));
  });

  it('compiles from the cache on the second load, and again without it once the file changes', function () {
    if (builtin) this.skip(); // this Node caches compiled code itself; the vm path is not taken
    const file = join(dir, 'm.js');
    const cache = join(dir, 'cache');
    writeFileSync(
      file,
      '#!/usr/bin/env node\nmodule.exports = { answer: 6 * 7, dir: __dirname, req: typeof require };\n',
    );
    const writers: (() => void)[] = [];
    const first = requireWithCodeCache(file, cache, (w) => writers.push(w));
    assert.equal(first.cache, 'miss');
    assert.deepEqual(first.exports, { answer: 42, dir, req: 'function' });
    assert.equal(writers.length, 1);
    writers[0]();
    assert.equal(readdirSync(cache).filter((f) => f.endsWith('.v8cache')).length, 1);

    const second = requireWithCodeCache(file, cache, (w) => writers.push(w));
    assert.equal(second.cache, 'hit');
    assert.deepEqual(second.exports, { answer: 42, dir, req: 'function' });
    assert.equal(writers.length, 1, 'a hit writes nothing');

    writeFileSync(file, 'module.exports = { answer: 43 };\n');
    const changed = requireWithCodeCache(file, cache, (w) => writers.push(w));
    assert.equal(changed.cache, 'miss');
    assert.deepEqual(changed.exports, { answer: 43 });
  });

  it('writing a new cache forgets caches unused for a month (earlier bundles or Node versions), keeps the others', function () {
    if (builtin) this.skip(); // as above
    const file = join(dir, 'm.js');
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    const old = join(cache, 'old.v8cache');
    const recent = join(cache, 'recent.v8cache');
    const other = join(cache, 'notes.txt');
    for (const f of [old, recent, other]) writeFileSync(f, 'x');
    const twoMonthsAgo = new Date(Date.now() - 60 * 24 * 3600 * 1000);
    utimesSync(old, twoMonthsAgo, twoMonthsAgo);
    utimesSync(other, twoMonthsAgo, twoMonthsAgo);
    writeFileSync(file, 'module.exports = 3;\n');
    const writers: (() => void)[] = [];
    requireWithCodeCache(file, cache, (w) => writers.push(w));
    writers[0]();
    assert.ok(!existsSync(old), 'a month-old cache is gone');
    assert.ok(existsSync(recent) && existsSync(other), 'a recent cache and other files stay');
  });

  it('loads as usual when the cache folder cannot be written', function () {
    if (builtin) this.skip(); // as above
    const file = join(dir, 'm.js');
    writeFileSync(file, 'module.exports = 1;\n');
    const notADir = join(dir, 'a-file');
    writeFileSync(notADir, '');
    const writers: (() => void)[] = [];
    assert.equal(
      requireWithCodeCache(file, join(notADir, 'cache'), (w) => writers.push(w)).exports,
      1,
    );
    assert.doesNotThrow(() => writers[0]());
  });

  it('takes its folder from MASTERCOPY_CACHE_DIR, XDG_CACHE_HOME, or ~/.cache; "off" turns it off', () => {
    assert.equal(codeCacheDir({ MASTERCOPY_CACHE_DIR: '/x/y' }), '/x/y');
    assert.equal(codeCacheDir({ MASTERCOPY_CACHE_DIR: 'off' }), undefined);
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/xdg' }), '/xdg/mastercopy');
    assert.match(codeCacheDir({}) ?? '', /[\\/]\.cache[\\/]mastercopy$/);
    const file = join(dir, 'm.js');
    writeFileSync(file, 'module.exports = 2;\n');
    assert.deepEqual(requireWithCodeCache(file, undefined), { exports: 2, cache: 'off' });
  });

  it('the mastercopy program answers the same with and without its cache', async () => {
    const cache = join(dir, 'cli-cache');
    const run = () =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['dist/cli.js', '--version'],
          { cwd: repoRoot(), env: { ...process.env, MASTERCOPY_CACHE_DIR: cache } },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
    const { version } = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(await run(), `${version}\n`);
    assert.ok(existsSync(cache) && readdirSync(cache).length > 0, 'the first run leaves a cache');
    assert.equal(await run(), `${version}\n`);
  });
});
