// Hostile input, generated: the language service (validation whole and incremental,
// completion, hover) on arbitrary bytes, mutated master copies, deep nesting, huge scalars
// and mappings, alias bombs, BOMs, CRLF, control and bidi characters and prototype keys.
// Properties: nothing throws, no case takes more than CASE_MS, the heap stays bounded,
// every range lies inside its document, and the editor's incremental validator says
// exactly what a whole validation says.
// Replay a run: MASTERCOPY_FC_SEED=N (the seed it printed; see hostile.ts).
import * as assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import * as fc from 'fast-check';
import { completeAt } from '../../../src/core/mastercopy/completion';
import type { Diagnostic } from '../../../src/core/mastercopy/diagnostic';
import { hoverAt } from '../../../src/core/mastercopy/hover';
import {
  MasterCopyValidator,
  validateBytes,
  validateText,
  type ValidationResult,
} from '../../../src/core/mastercopy/validator';
import { anyBytes, anyText, editSession, HeapWatch, rangeInside, runs, timed } from './hostile';

const SEVERITIES = new Set(['error', 'warning', 'information']);

function checkResult(r: ValidationResult, text: string): void {
  for (const d of r.diagnostics) checkDiagnostic(d, text);
  const hasError = r.diagnostics.some((d) => d.severity === 'error');
  assert.equal(
    r.masterCopy !== undefined,
    !hasError,
    'a master copy exactly when there is no error',
  );
  if (r.masterCopy) assertPlainTree(r.masterCopy, 'masterCopy');
}

function checkDiagnostic(d: Diagnostic, text: string): void {
  assert.ok(
    rangeInside(d.range, text.length),
    `${JSON.stringify(d.range)} is outside a text of ${text.length}: ${d.message}`,
  );
  assert.ok(SEVERITIES.has(d.severity), d.severity);
  assert.equal(typeof d.message, 'string');
  assert.ok(d.message.length > 0 && d.code.length > 0, 'a message and a code');
}

/** No key of a document touched a prototype: every object is a plain one, every key its own. */
function assertPlainTree(value: unknown, where: string, depth = 0): void {
  if (depth > 200 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlainTree(v, `${where}[${i}]`, depth + 1));
    return;
  }
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${where} has another prototype`);
  for (const [k, v] of Object.entries(value)) assertPlainTree(v, `${where}.${k}`, depth + 1);
}

describe('hostile input: the language service', function () {
  // A generous bound for the whole file (hang detection is per case, in timed()).
  this.timeout(120_000);
  const heap = new HeapWatch(256 * 2 ** 20);
  after(() => {
    const retained = heap.retainedMiB();
    console.log(
      `      hostile input: language service heap retained after the run: ${retained} MiB`,
    );
    // The validator keeps one cache per open document, and these were all forgotten.
    assert.ok(retained < 64, `${retained} MiB retained`);
  });

  it('validateText never throws or hangs, and every range lies inside the document', () => {
    fc.assert(
      fc.property(anyText(), (text) => {
        const r = timed('validateText', () => validateText(text));
        checkResult(r, text);
        heap.sample();
      }),
      runs(300),
    );
  });

  it('validateBytes: any bytes, one encoding problem when they are not UTF-8', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const r = timed('validateBytes', () => validateBytes(bytes));
        checkResult(r, r.text);
        const utf8 = Buffer.from(bytes).toString('utf8');
        assert.equal(r.text, utf8, 'the text is the bytes decoded, U+FFFD where they are bad');
        if (!isUtf8(bytes)) {
          assert.deepEqual(
            r.diagnostics.map((d) => d.code),
            ['encoding'],
          );
          const at = r.diagnostics[0].range.start;
          assert.equal(r.text[at], '\ufffd', 'the problem is at the first bad byte');
        }
        heap.sample();
      }),
      runs(300),
    );
  });

  it('the incremental validator always equals a whole validation', () => {
    fc.assert(
      fc.property(
        editSession,
        fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
        (versions, warmAfter) => {
          const validator = new MasterCopyValidator();
          // The editor's path: a cold document is parsed whole, then warmed when idle.
          validator.warm('doc', versions[0]);
          versions.forEach((text, i) => {
            const inc = timed('incremental validate', () => validator.validate('doc', text));
            const whole = validateText(text);
            assert.deepEqual(inc.diagnostics, whole.diagnostics, `diagnostics of version ${i}`);
            assert.deepEqual(inc.masterCopy, whole.masterCopy, `masterCopy of version ${i}`);
            checkResult(inc, text);
            if (warmAfter[i]) timed('warm', () => validator.warm('doc', text));
          });
          heap.sample();
        },
      ),
      runs(200),
    );
  });

  it('completion and hover never throw or hang, at any offset, and their ranges lie inside', () => {
    fc.assert(
      fc.property(
        anyText(false),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (text, where) => {
          for (const f of where) {
            const offset = Math.round(f * text.length);
            const c = timed('completeAt', () =>
              completeAt(text, offset, { fileName: 'x.mastercopy.yaml' }),
            );
            for (const item of c.items) {
              assert.equal(typeof item.label, 'string');
              if (item.replaceRange)
                assert.ok(
                  rangeInside(item.replaceRange, text.length),
                  `completion ${JSON.stringify(item.replaceRange)}`,
                );
            }
            const h = timed('hoverAt', () => hoverAt(text, offset));
            if (h) {
              assert.ok(rangeInside(h.range, text.length), `hover ${JSON.stringify(h.range)}`);
              assert.equal(typeof h.markdown, 'string');
            }
          }
          heap.sample();
        },
      ),
      runs(300),
    );
  });
});
