// Bytes that are not UTF-8 are said to be so, at the first bad byte (line and column),
// never silently turned into U+FFFD: in the CLI, in validation of bytes, in secret files
// and in a .dockerignore.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../src/core/build/buildFileSystem';
import { planBuild } from '../../src/core/build/plan';
import { nodeReadSecretFile, resolveSecrets } from '../../src/core/copies/secrets';
import { validateBytes } from '../../src/core/mastercopy/validator';
import { decodeUtf8 } from '../../src/core/util/utf8';
import { runCli } from '../support/cli';

const HEAD = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';
const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('input that is not UTF-8', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-utf8-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the first bad byte, with its line and column', () => {
    assert.deepEqual(decodeUtf8(Buffer.from('caf\u00e9 ✓\n\u{1F600}')), {
      text: 'caf\u00e9 ✓\n\u{1F600}',
    });
    assert.deepEqual(
      decodeUtf8(Buffer.from('\uFEFFa: 1')).notUtf8,
      undefined,
      'a UTF-8 BOM is UTF-8',
    );
    assert.deepEqual(decodeUtf8(latin1('caf\u00e9')).notUtf8, {
      byteOffset: 3,
      byte: 0xe9,
      line: 1,
      column: 4,
      textOffset: 3,
    });
    const mixed = Buffer.concat([Buffer.from('é\nab'), Buffer.from([0xff]), Buffer.from('z')]);
    assert.deepEqual(decodeUtf8(mixed).notUtf8, {
      byteOffset: 5,
      byte: 0xff,
      line: 2,
      column: 3,
      textOffset: 4,
    });
    for (const [bytes, offset] of [
      [[0x61, 0xc0, 0x80], 1], // overlong
      [[0xed, 0xa0, 0x80], 0], // a surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x61, 0xe2, 0x82], 1], // cut short at the end
      [[0xf5, 0x80], 0],
      [[0xff, 0xfe, 0x61, 0x00], 0], // UTF-16
    ] as const) {
      assert.equal(
        decodeUtf8(Buffer.from(bytes)).notUtf8?.byteOffset,
        offset,
        Buffer.from(bytes).toString('hex'),
      );
    }
  });

  it('validateBytes makes it the one problem, at the first bad byte (for an editor that has the bytes)', () => {
    const bytes = latin1(HEAD + 'env:\n  CITY: caf\u00e9\n');
    const r = validateBytes(bytes);
    assert.equal(r.masterCopy, undefined);
    assert.equal(r.diagnostics.length, 1);
    const [d] = r.diagnostics;
    assert.equal(d.code, 'encoding');
    assert.match(
      d.message,
      /^This master copy is not UTF-8: byte 0xE9 at line 6, column 12 is not UTF-8\. Save it as UTF-8/,
    );
    assert.equal(r.text.slice(d.range.start, d.range.end), '\uFFFD');
    assert.equal(
      validateBytes(Buffer.from(HEAD + 'env:\n  CITY: caf\u00e9\n')).masterCopy?.env?.CITY,
      'caf\u00e9',
    );
  });

  it('validate says so at FILE:LINE:COL, in text and in JSON, and exits 1', async () => {
    writeFileSync(join(dir, 'a.mastercopy.yaml'), latin1(HEAD + 'env:\n  CITY: caf\u00e9\n'));
    const text = await runCli(['validate', 'a.mastercopy.yaml'], { cwd: dir });
    assert.equal(text.code, 1);
    assert.equal(
      text.stdout,
      'a.mastercopy.yaml:6:12: error: This master copy is not UTF-8: byte 0xE9 at line 6, column 12 is not UTF-8. ' +
        'Save it as UTF-8; read any other way, its values would change.\n',
    );
    const json = await runCli(['validate', '--format', 'json', 'a.mastercopy.yaml'], { cwd: dir });
    assert.deepEqual(
      JSON.parse(json.stdout).map((p: { line: number; column: number; code: string }) => [
        p.line,
        p.column,
        p.code,
      ]),
      [[6, 12, 'encoding']],
    );
  });

  it('preview and the commands that load a master copy refuse it the same way (never an ENV with U+FFFD)', async () => {
    writeFileSync(join(dir, 'a.mastercopy.yaml'), latin1(HEAD + 'env:\n  CITY: caf\u00e9\n'));
    for (const args of [
      ['preview', 'a.mastercopy.yaml'],
      ['build', 'a.mastercopy.yaml'],
      ['print', 'a.mastercopy.yaml'],
    ]) {
      const r = await runCli(args, { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^a\.mastercopy\.yaml:6:12: error: This master copy is not UTF-8: byte 0xE9/m,
        args[0],
      );
      assert.doesNotMatch(r.stdout, /\uFFFD/);
    }
  });

  it('a secret file read as a secret, and a .dockerignore, say so too', async () => {
    writeFileSync(join(dir, 'key'), latin1('s\u00e9cret'));
    const mc = {
      mastercopy: 1 as const,
      name: 'demo',
      version: '1',
      from: 'busybox:stable',
      secrets: [{ name: 'K', fromFile: './key' }],
    };
    await assert.rejects(
      resolveSecrets(mc, dir, {}, nodeReadSecretFile),
      /cannot read \.\/key: byte 0xE9 at line 1, column 2 is not UTF-8; a secret is read as UTF-8 text/,
    );
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:stable\n');
    writeFileSync(join(dir, '.dockerignore'), latin1('*.log\ncaf\u00e9\n'));
    await assert.rejects(
      planBuild(
        { mastercopy: 1, name: 'demo', version: '1', dockerfile: './Dockerfile' },
        dir,
        nodeBuildFileSystem,
      ),
      /^BuildPlanError: \.dockerignore is not UTF-8: byte 0xE9 at line 2, column 4 is not UTF-8/,
    );
  });
});
