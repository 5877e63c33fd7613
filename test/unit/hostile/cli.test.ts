// Hostile input, generated: `mastercopy validate`, run in this process on files of arbitrary
// bytes, mutated master copies and the expensive shapes. Properties: it never fails with
// anything but 0 or 1 (the file is readable), never prints a stack trace, prints exactly one
// line per problem (no value can forge another), nothing a terminal would act on, JSON that
// parses, positions inside the file, and the problems the language service finds in the same
// bytes. Replay a run: MASTERCOPY_FC_SEED=N (the seed it printed; see hostile.ts).
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import { LineIndex } from '../../../src/core/mastercopy/positions';
import { validateBytes } from '../../../src/core/mastercopy/validator';
import { runCli } from '../../support/cli';
import { anyBytes, anyText, runs, timedAsync } from './hostile';

// What a terminal acts on or reorders: C0 (but the line break), DEL, C1, separators, bidi.
const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LINE = /^x\.mastercopy\.yaml:\d+:\d+: (error|warning|information): [^\n]*$/;

describe('hostile input: mastercopy validate', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'mc-hostile-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const input = fc.oneof(
    anyBytes,
    anyText(false).map((t) => new Uint8Array(Buffer.from(t, 'utf8'))),
  );

  it('exits 0 or 1, one line per problem, nothing raw, the language service problems', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const file = join(dir, 'x.mastercopy.yaml');
        writeFileSync(file, bytes);
        const text = await timedAsync('validate', () =>
          runCli(['validate', 'x.mastercopy.yaml'], { cwd: dir }),
        );
        const json = await timedAsync('validate --format json', () =>
          runCli(['validate', '--format', 'json', 'x.mastercopy.yaml'], { cwd: dir }),
        );
        for (const r of [text, json]) {
          assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
          assert.doesNotMatch(r.stdout + r.stderr, UNSAFE, 'nothing a terminal would act on');
        }
        const problems = JSON.parse(json.stdout) as {
          line: number;
          column: number;
          endLine: number;
          severity: string;
        }[];
        const lines = text.stdout === '' ? [] : text.stdout.replace(/\n$/, '').split('\n');
        assert.equal(lines.length, problems.length, 'one line per problem');
        for (const l of lines) assert.match(l, LINE);
        assert.equal(text.code, problems.some((p) => p.severity === 'error') ? 1 : 0);
        assert.match(text.stderr, /^1 master copy checked: \d+ errors?, \d+ warnings?\n$/);

        // The same problems as the language service finds in the same bytes, at the same places.
        const r = validateBytes(bytes, { path: file }, nodeFileAccess);
        const index = new LineIndex(r.text);
        const lineCount = index.positionAt(r.text.length).line + 1;
        assert.equal(problems.length, r.diagnostics.length);
        problems.forEach((p, i) => {
          const at = index.positionAt(r.diagnostics[i].range.start);
          assert.deepEqual([p.line, p.column], [at.line + 1, at.character + 1]);
          assert.ok(
            p.line >= 1 && p.endLine >= p.line && p.endLine <= lineCount,
            `line ${p.line}–${p.endLine} of ${lineCount}`,
          );
        });
      }),
      runs(100),
    );
  });
});
