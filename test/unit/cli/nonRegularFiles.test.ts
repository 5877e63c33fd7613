// A master copy that is not a regular file (a link to a device, a FIFO) or that is too
// large is refused with a clear message, never read: `validate .` on a contribution must
// not hang or fill the memory.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli';

const VALID = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';

describe('CLI commands and master copies that are not regular files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-nonregular-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('validate refuses a link to /dev/zero and a FIFO, named or found in a folder, and checks the rest', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero.mastercopy.yaml'));
    execFileSync('mkfifo', [join(dir, 'pipe.mastercopy.yaml')]);
    writeFileSync(join(dir, 'ok.mastercopy.yaml'), VALID);
    const named = await runCli(['validate', 'zero.mastercopy.yaml', 'pipe.mastercopy.yaml'], {
      cwd: dir,
    });
    assert.equal(named.code, 2);
    assert.match(
      named.stderr,
      /cannot read zero\.mastercopy\.yaml: it is a character device, not a regular file/,
    );
    assert.match(
      named.stderr,
      /cannot read pipe\.mastercopy\.yaml: it is a FIFO \(named pipe\), not a regular file/,
    );
    const folder = await runCli(['validate', '.'], { cwd: dir });
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /cannot read pipe\.mastercopy\.yaml: it is a FIFO/);
    assert.match(folder.stderr, /cannot read zero\.mastercopy\.yaml: it is a character device/);
    assert.match(folder.stderr, /1 master copy checked: 0 errors/);
  });

  it('validate refuses a master copy larger than 4 MiB, saying the bound', async () => {
    writeFileSync(
      join(dir, 'big.mastercopy.yaml'),
      VALID + `description: "${'x'.repeat(4 * 1024 * 1024)}"\n`,
    );
    const r = await runCli(['validate', 'big.mastercopy.yaml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /cannot read big\.mastercopy\.yaml: it is 4(\.0)? MiB; at most 4 MiB are read/,
    );
  });

  for (const command of ['preview', 'build', 'print', 'scale']) {
    it(`${command} refuses a master copy that is a FIFO`, async () => {
      execFileSync('mkfifo', [join(dir, 'pipe.mastercopy.yaml')]);
      const args =
        command === 'scale'
          ? [command, 'pipe.mastercopy.yaml', '1']
          : [command, 'pipe.mastercopy.yaml'];
      const r = await runCli(args, { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`mastercopy ${command}: cannot read pipe\\.mastercopy\\.yaml: it is a FIFO`),
      );
    });
  }
});
