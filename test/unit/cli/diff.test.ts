// `mastercopy diff` and `promote --dry-run` before any engine is asked: 1 means "changes",
// so a file that cannot be used, and the engine that cannot be reached, are 2.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli';

const VALID = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';

describe('mastercopy diff', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-diff-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) =>
    runCli(args, { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });

  it('has --help with its exit codes, and is listed', async () => {
    const help = await cli(['diff', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mastercopy diff \[--json\] \[--host HOST\] FILE$/m);
    assert.match(help.stdout, /0 a promote would change nothing, 1 it would change/);
    assert.match(
      (await cli(['--help'])).stdout,
      /^ {2}diff {6}what a promote of FILE would change/m,
    );
    assert.match((await cli(['promote', '--help'])).stdout, /--dry-run/);
  });

  for (const command of [['diff'], ['promote', '--dry-run']]) {
    it(`${command.join(' ')}: a usage error, an unreadable or invalid file, no engine: exit 2`, async () => {
      assert.equal((await cli([...command])).code, 2);
      assert.equal((await cli([...command, 'missing.mastercopy.yaml'])).code, 2);
      writeFileSync(join(dir, 'bad.mastercopy.yaml'), VALID + 'copies: 0\n');
      const bad = await cli([...command, 'bad.mastercopy.yaml']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /bad\.mastercopy\.yaml:5:9: error: `copies` must be at least 1/);
      writeFileSync(join(dir, 'ok.mastercopy.yaml'), VALID);
      const down = await cli([...command, 'ok.mastercopy.yaml']);
      assert.equal(down.code, 2);
      assert.match(down.stderr, /nonexistent/);
      assert.equal(down.stdout, '');
    });
  }
});
