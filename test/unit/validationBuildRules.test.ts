// What preview and build refuse, validate refuses too, at the value: every rule of the
// Dockerfile generator is a diagnostic (and the generator itself has the last word).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDockerfile } from '../../src/core/build/dockerfile';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import { validateText } from '../../src/core/mastercopy/validator';
import { unmark } from '../support/marked';

const HEAD = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';

function expectOneAt(marked: string, message: RegExp, path?: string) {
  const { text, ranges } = unmark(marked);
  const ds = validateText(text, { path }, nodeFileAccess).diagnostics;
  assert.equal(ds.length, 1, ds.map((d) => d.message).join('\n'));
  assert.match(ds[0].message, message);
  assert.deepEqual(
    ds[0].range,
    ranges[0],
    `at [${text.slice(ds[0].range.start, ds[0].range.end)}]`,
  );
}

describe('validation refuses what the build refuses', () => {
  it('a line break or a NUL in an env value, at the value', () => {
    expectOneAt(
      HEAD + 'env: {A: «"a\\nb"»}\n',
      /^env\.A: a line break \(or NUL\) cannot be part of an environment variable in an image/,
    );
    expectOneAt(HEAD + 'env:\n  OK: fine\n  B: «"x\\ry"»\n', /^env\.B: a line break/);
    expectOneAt(HEAD + 'env:\n  C: «"nul\\0"»\n', /^env\.C: a line break \(or NUL\)/);
  });

  it('a NUL or a line break in workdir, at the value', () => {
    expectOneAt(
      HEAD + 'workdir: «"/srv/\\0x"»\n',
      /^workdir: a line break \(or NUL\) cannot be part of a path in an image/,
    );
    expectOneAt(HEAD + 'workdir: «"/srv/a\\nb"»\n', /^workdir: a line break/);
  });

  it('a base image that is not an image reference, at the value', () => {
    expectOneAt(
      'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: «"busybox\\\\"»\n',
      /`from` must be an image reference like busybox:stable/,
    );
    expectOneAt(
      'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: «-busybox»\n',
      /`from` must be an image reference/,
    );
  });

  it('keeps line breaks in env values legal with `dockerfile:` (they are given to the engine, not written into a Dockerfile)', () => {
    assert.deepEqual(
      validateText(
        'mastercopy: 1\nname: demo\nversion: "1"\ndockerfile: ./Dockerfile\nenv: {A: "a\\nb"}\n',
      ).diagnostics,
      [],
    );
  });

  it('a files source that is a secret file, at the source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-secret-src-'));
    try {
      mkdirSync(join(dir, 'secrets'));
      writeFileSync(join(dir, 'secrets', 'key'), 'k');
      expectOneAt(
        HEAD +
          'files:\n  - path: /etc/key\n    source: «./secrets/../secrets/key»\nsecrets:\n  - { name: KEY, fromFile: ./secrets/key }\n',
        /`files\[0\]\.source` \(\.\/secrets\/\.\.\/secrets\/key\) is the secret file of `secrets\[0\]`/,
        join(dir, 'a.mastercopy.yaml'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never lets through a value the generator refuses (random values with controls in every field it writes)', () => {
    let seed = 11;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = [
      'a',
      '/',
      ' ',
      '\n',
      '\r',
      '\0',
      '\t',
      '\\',
      '"',
      '$',
      ':',
      '@',
      '-',
      '.',
      '\u001b',
      'é',
      '\u2028',
    ];
    const word = () =>
      Array.from(
        { length: 1 + Math.floor(rnd() * 6) },
        () => pieces[Math.floor(rnd() * pieces.length)],
      ).join('');
    const fields = [
      (v: string) => `env:\n  A: ${JSON.stringify(v)}\n`,
      (v: string) => `workdir: ${JSON.stringify('/' + v)}\n`,
      (v: string) => `user: ${JSON.stringify(v)}\n`,
      (v: string) =>
        `files:\n  - { path: ${JSON.stringify('/' + v)}, content: x, owner: ${JSON.stringify(v)} }\n`,
      (v: string) =>
        `build:\n  steps: [${JSON.stringify(v)}]\n  args: { A: ${JSON.stringify(v)} }\n`,
      (v: string) => `command: ${JSON.stringify(v)}\nentrypoint: [${JSON.stringify(v)}]\n`,
    ];
    let accepted = 0;
    for (let n = 0; n < 600; n++) {
      const v = word();
      const field = fields[n % fields.length];
      for (const text of [
        HEAD + field(v),
        HEAD.replace('busybox:stable', JSON.stringify(`busybox${v}`)) + field('x'),
      ]) {
        const r = validateText(text);
        if (!r.masterCopy) continue;
        accepted++;
        assert.doesNotThrow(
          () =>
            generateDockerfile(
              r.masterCopy!,
              (r.masterCopy!.files ?? []).map((_, i) => `files/${i}`),
            ),
          text,
        );
      }
    }
    assert.ok(accepted > 100, `only ${accepted} documents passed validation`);
  });
});
