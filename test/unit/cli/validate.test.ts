// The CLI's `validate`: output format, JSON, exit codes, and no stack trace for any input.
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli';

function cli(args: string[], cwd: string) {
  return runCli(args, { cwd });
}

const VALID = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';

describe('mastercopy validate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-cli-'));
  });

  it('exits 0 and prints nothing on stdout for a valid file', async () => {
    writeFileSync(join(dir, 'a.mastercopy.yaml'), VALID);
    const r = await cli(['validate', 'a.mastercopy.yaml'], dir);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /1 master copy checked: 0 errors, 0 warnings/);
  });

  it('prints FILE:LINE:COL: severity: message and exits 1 on an error', async () => {
    writeFileSync(join(dir, 'b.mastercopy.yaml'), VALID + 'copies: 0\n');
    const r = await cli(['validate', 'b.mastercopy.yaml'], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      'b.mastercopy.yaml:5:9: error: `copies` must be at least 1 (1–1000); it is 0.\n',
    );
  });

  it('exits 0 with only warnings', async () => {
    writeFileSync(join(dir, 'c.mastercopy.yaml'), VALID + 'env:\n  API_TOKEN: x\n');
    const r = await cli(['validate', 'c.mastercopy.yaml'], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^c\.mastercopy\.yaml:6:3: warning: `API_TOKEN` looks like a secret/);
  });

  it('prints a JSON array with --format json', async () => {
    writeFileSync(join(dir, 'd.mastercopy.yaml'), VALID + 'prots: [1]\n');
    const r = await cli(['validate', '--format', 'json', 'd.mastercopy.yaml'], dir);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        file: 'd.mastercopy.yaml',
        line: 5,
        column: 1,
        endLine: 5,
        endColumn: 6,
        severity: 'error',
        message: 'Unknown property `prots` in a master copy. Did you mean `ports`?',
        code: 'schema',
      },
    ]);
  });

  it('searches a folder for master copies', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'e.mastercopy.yml'), VALID);
    writeFileSync(join(dir, 'sub', 'f.mastercopy.yaml'), VALID.replace('demo', 'Demo'));
    writeFileSync(join(dir, 'sub', 'other.yaml'), 'not: checked\n');
    const r = await cli(['validate', '.'], dir);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^sub\/f\.mastercopy\.yaml:2:7: error: `name` must be a lowercase DNS label/,
    );
    assert.match(r.stderr, /2 master copies checked: 1 error/);
  });

  it('exits 2 for a file that does not exist, even beside an invalid one', async () => {
    writeFileSync(join(dir, 'g.mastercopy.yaml'), 'copies: x\n');
    const r = await cli(['validate', 'g.mastercopy.yaml', 'missing.mastercopy.yaml'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read missing\.mastercopy\.yaml: no such file or folder/);
  });

  it('exits 2 on usage errors, with a hint', async () => {
    for (const args of [
      ['validate'],
      ['validate', '--format', 'xml', 'a'],
      ['validate', '--bogus', 'a'],
      ['nonsense'],
    ]) {
      const r = await cli(args, dir);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /mastercopy/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('has --help for the tool and the command', async () => {
    const top = await cli(['--help'], dir);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: mastercopy <command>/);
    assert.match(top.stdout, /validate/);
    const sub = await cli(['validate', '--help'], dir);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /Usage: mastercopy validate/);
  });

  it('never prints a stack trace, whatever the bytes', async () => {
    let seed = 3;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let n = 0; n < 60; n++) {
      const bytes = Buffer.alloc(Math.floor(rnd() * 400), 0).map(() => Math.floor(rnd() * 256));
      writeFileSync(join(dir, 'r.mastercopy.yaml'), bytes);
      const r = await cli(['validate', 'r.mastercopy.yaml'], dir);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}`);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\(/, 'no stack trace');
      for (const line of r.stdout.split('\n').filter(Boolean))
        assert.match(line, /^r\.mastercopy\.yaml:\d+:\d+: (error|warning): /);
    }
  });
});
