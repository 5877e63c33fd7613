// A writer that swaps a checked source for a symbolic link (or a folder on its path for
// one) between the check and the read never gets a file from outside the master copy's
// folder into the build: the file is opened without following links and the opened file
// itself is checked. The swaps happen exactly in that window, through the file system
// passed in.
import * as assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildFileSystem, type BuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { contextStream } from '../../../src/core/build/context';
import { BuildPlanError } from '../../../src/core/build/errors';
import { planBuild } from '../../../src/core/build/plan';
import type { MasterCopy } from '../../../src/core/mastercopy/model';

const SECRET = 'outside-secret-bytes';
const BASE: MasterCopy = { mastercopy: 1, name: 'demo', version: '1.0.0', from: 'busybox:stable' };

describe('sources swapped for links while the build reads them', () => {
  let root: string;
  let folder: string;
  let outside: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mc-race-'));
    folder = join(root, 'mc');
    outside = join(root, 'outside');
    mkdirSync(join(folder, 'www', 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'f'), SECRET);
    writeFileSync(join(folder, 'app.conf'), 'inside');
    writeFileSync(join(folder, 'www', 'sub', 'f'), 'inside');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** The node file system, with `onLstat` run right after a matching lstat (the race window) and every byte read recorded. */
  function racingFs(match: (path: string) => boolean, onLstat: () => void, before = false) {
    const read: string[] = [];
    const fs: BuildFileSystem = {
      ...nodeBuildFileSystem,
      async lstat(path) {
        if (before && match(path)) onLstat();
        const info = await nodeBuildFileSystem.lstat(path);
        if (!before && match(path)) onLstat();
        return info;
      },
      async *read(path, signal, expect) {
        for await (const chunk of nodeBuildFileSystem.read(path, signal, expect)) {
          read.push(Buffer.from(chunk).toString());
          yield chunk;
        }
      },
    };
    return { fs, read };
  }

  const swapForLink = (path: string, target: string) => () => {
    unlinkSync(path);
    symlinkSync(target, path);
  };

  const refused = async (promise: Promise<unknown>, message: RegExp) => {
    await assert.rejects(promise, (e: Error) => {
      assert.ok(e instanceof BuildPlanError, `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  };

  it('refuses a source file swapped for a link after it was checked', async () => {
    const conf = join(folder, 'app.conf');
    const { fs, read } = racingFs(
      (p) => p.endsWith('app.conf'),
      swapForLink(conf, join(outside, 'f')),
    );
    await refused(
      planBuild({ ...BASE, files: [{ path: '/etc/app.conf', source: './app.conf' }] }, folder, fs),
      /app\.conf is a symbolic link now/,
    );
    assert.ok(!read.join('').includes(SECRET), 'nothing from outside was read');
  });

  it('refuses a file inside a source folder swapped for a link', async () => {
    const f = join(folder, 'www', 'sub', 'f');
    const { fs, read } = racingFs((p) => p === f, swapForLink(f, join(outside, 'f')));
    await refused(
      planBuild({ ...BASE, files: [{ path: '/srv/www', source: './www' }] }, folder, fs),
      /is a symbolic link now/,
    );
    assert.ok(!read.join('').includes(SECRET));
  });

  it('refuses a file whose folder was swapped for a link to the outside (on Linux, through /proc/self/fd)', async function () {
    if (process.platform !== 'linux') this.skip(); // elsewhere only the last component is protected
    const sub = join(folder, 'www', 'sub');
    const swap = () => {
      renameSync(sub, `${sub}.old`);
      symlinkSync(outside, sub);
    };
    // Just before the file in it is looked at: lstat and open both go through the new link.
    const { fs, read } = racingFs((p) => p === join(sub, 'f'), swap, true);
    await refused(
      planBuild({ ...BASE, files: [{ path: '/srv/www', source: './www' }] }, folder, fs),
      /led to .*outside\/f when it was opened/,
    );
    assert.ok(!read.join('').includes(SECRET));
  });

  it('sends nothing from outside when a planned file is swapped for a link before the context is sent', async () => {
    const conf = join(folder, 'app.conf');
    const plan = await planBuild(
      { ...BASE, files: [{ path: '/etc/app.conf', source: './app.conf' }] },
      folder,
      nodeBuildFileSystem,
    );
    swapForLink(conf, join(outside, 'f'))();
    const sent: Buffer[] = [];
    await refused(
      (async () => {
        for await (const chunk of contextStream(plan, nodeBuildFileSystem))
          sent.push(chunk as Buffer);
      })(),
      /app\.conf is a symbolic link now/,
    );
    assert.ok(
      !Buffer.concat(sent).includes(SECRET),
      'no byte of the outside file went into the context',
    );
  });

  it('refuses a planned file replaced by another one (same name, other inode) before the context is sent', async () => {
    const conf = join(folder, 'app.conf');
    const plan = await planBuild(
      { ...BASE, files: [{ path: '/etc/app.conf', source: './app.conf' }] },
      folder,
      nodeBuildFileSystem,
    );
    writeFileSync(`${conf}.new`, 'inside');
    renameSync(`${conf}.new`, conf);
    await refused(
      (async () => {
        for await (const _ of contextStream(plan, nodeBuildFileSystem));
      })(),
      /app\.conf was replaced by another file/,
    );
  });
});
