// Reading host files: a regular file only, within a bound, checked again once opened.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFileError, readRegularFileSync } from '../../../src/core/util/hostFile';

describe('reading a regular host file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-hostfile-'));
    writeFileSync(join(dir, 'small'), 'hello');
    writeFileSync(join(dir, 'big'), Buffer.alloc(2048, 'x'));
    symlinkSync(join(dir, 'small'), join(dir, 'link'));
    symlinkSync('/dev/zero', join(dir, 'zero'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (
    path: string,
    options: Parameters<typeof readRegularFileSync>[1],
    message: RegExp,
  ) =>
    assert.throws(
      () => readRegularFileSync(join(dir, path), options),
      (e: Error) => {
        assert.match(e.message, message);
        return true;
      },
    );

  it('reads a regular file and a link to one', () => {
    assert.equal(readRegularFileSync(join(dir, 'small'), { maxBytes: 5 }).toString(), 'hello');
    assert.equal(readRegularFileSync(join(dir, 'link'), { maxBytes: 5 }).toString(), 'hello');
  });

  it('refuses a device, a FIFO (without blocking) and a folder', () => {
    refused('zero', { maxBytes: 1024 }, /^it is a character device, not a regular file$/);
    refused('fifo', { maxBytes: 1024 }, /^it is a FIFO \(named pipe\), not a regular file$/);
    refused('.', { maxBytes: 1024 }, /^it is a folder, not a regular file$/);
  });

  it('refuses a file larger than the bound, saying the bound', () => {
    assert.throws(
      () => readRegularFileSync(join(dir, 'big'), { maxBytes: 1024 }),
      (e: Error) => e instanceof HostFileError && e.code === 'too-large',
    );
  });

  it('with noFollow, refuses a symbolic link', () => {
    assert.throws(
      () => readRegularFileSync(join(dir, 'link'), { maxBytes: 5, noFollow: true }),
      (e: NodeJS.ErrnoException) =>
        e.code === 'ELOOP' || (e instanceof HostFileError && e.code === 'not-regular'),
    );
  });
});
