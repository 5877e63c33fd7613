// What the CLI prints never carries a raw line break into a one-line field, nor an ESC,
// BEL, C1 or bidi control to a terminal: a value cannot forge a `FILE:LINE:COL: …` line or
// send the terminal a command.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneLine, terminalJson, textBlock } from '../../../src/cli/terminalText';
import { runCli } from '../../support/cli';

const HEAD = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';
// Anything a terminal would act on or that would start a line: ESC, BEL, CSI (C1), CR, RLO.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

describe('terminal output', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-tty-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('escapes controls as visible text: one-line fields, blocks of lines, JSON', () => {
    assert.equal(
      oneLine('a\nb\r\tc\u001b[2J\u0007\u009b\u202e'),
      'a\\nb\\r\\tc\\u001b[2J\\u0007\\u009b\\u202e',
    );
    assert.equal(
      textBlock('ENV A="\u001b]0;x\u0007"\n\tB\r\n'),
      'ENV A="\\u001b]0;x\\u0007"\n\tB\\r\n',
    );
    const value = { m: 'a\u009bb\u202ec\u2028' };
    const json = terminalJson(value, 2);
    assert.doesNotMatch(json, /[\u009b\u202e\u2028]/);
    assert.deepEqual(JSON.parse(json), value);
  });

  it('validate: a value with a line break cannot forge a second FILE:LINE:COL line', async () => {
    writeFileSync(
      join(dir, 'a.mastercopy.yaml'),
      HEAD + 'copies: "1\\nb.mastercopy.yaml:1:1: error: forged \\e[31m"\n',
    );
    const r = await runCli(['validate', 'a.mastercopy.yaml'], { cwd: dir });
    assert.equal(r.code, 1);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stdout);
    assert.match(
      lines[0],
      /^a\.mastercopy\.yaml:5:9: error: `copies` must be a whole number, not the string "1\\nb\.mastercopy\.yaml:1:1: erro/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, RAW_CONTROL);
  });

  it('validate: a file name with a line break or an ESC in it is escaped too, and JSON carries no raw C1 or bidi control', async () => {
    writeFileSync(
      join(dir, 'x\nevil:1:1: error: \u001b[2J.mastercopy.yaml'),
      HEAD + 'copies: 0\nlabels: { a: "\u009b\u202e" }\n',
    );
    const text = await runCli(['validate', '.'], { cwd: dir });
    assert.equal(text.stdout.split('\n').filter(Boolean).length, 1, text.stdout);
    assert.match(text.stdout, /^x\\nevil:1:1: error: \\u001b\[2J\.mastercopy\.yaml:5:9: error: /);
    writeFileSync(join(dir, 'j.mastercopy.yaml'), HEAD + 'copies: "\u009b\u202e"\n');
    const json = await runCli(['validate', '--format', 'json', 'j.mastercopy.yaml'], { cwd: dir });
    assert.doesNotMatch(json.stdout, /[\u009b\u202e]/);
    assert.match(JSON.parse(json.stdout)[0].message, /not the string "\u009b\u202e"/);
  });

  it('preview: ESC and BEL in env values are shown, not obeyed, on a terminal; a file or a pipe gets the exact Dockerfile', async () => {
    writeFileSync(join(dir, 'p.mastercopy.yaml'), HEAD + 'env:\n  TITLE: "\\e]0;pwned\\a\\e[2J"\n');
    const tty = await runCli(['preview', 'p.mastercopy.yaml'], { cwd: dir, tty: true });
    assert.equal(tty.code, 0, tty.stderr);
    assert.doesNotMatch(tty.stdout + tty.stderr, RAW_CONTROL);
    assert.match(tty.stdout, /^ENV TITLE="\\u001b\]0;pwned\\u0007\\u001b\[2J"$/m);
    const piped = await runCli(['preview', 'p.mastercopy.yaml'], { cwd: dir });
    assert.match(piped.stdout, /^ENV TITLE="\u001b\]0;pwned\u0007\u001b\[2J"$/m);
  });

  it('preview --plan: file names in the build context are escaped wherever the output goes', async () => {
    writeFileSync(
      join(dir, 'p.mastercopy.yaml'),
      HEAD + 'files:\n  - { path: /srv, source: ./www }\n',
    );
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'a\u001b[2Jb\nc'), 'x');
    const r = await runCli(['preview', '--plan', 'p.mastercopy.yaml'], {
      cwd: dir,
      env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /files\/0\/a\\u001b\[2Jb\\nc/);
    assert.doesNotMatch(r.stdout.slice(r.stdout.indexOf('Build context')), RAW_CONTROL);
  });
});
