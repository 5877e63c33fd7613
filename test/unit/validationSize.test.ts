// Validation time grows linearly with a document (duplicate keys and locations are found
// through sets and indexes, never by scanning a mapping per key), and a document has a
// size bound with a clear message.
import * as assert from 'node:assert/strict';
import { SegmentedParser } from '../../src/core/mastercopy/segmentedParser';
import {
  MasterCopyValidator,
  validateParsed,
  validateText,
} from '../../src/core/mastercopy/validator';
import { MAX_MASTER_COPY_BYTES, parseWhole } from '../../src/core/mastercopy/yamlSource';

const HEAD = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';
const labels = (n: number, key = (i: number) => `l${i}`) =>
  HEAD + 'labels:\n' + Array.from({ length: n }, (_, i) => `  ${key(i)}: v\n`).join('');

describe('validation of large documents', () => {
  // Generous bounds: linear time is well under a second here; the quadratic scans took 12 s and 60 s.
  it('checks a mapping of 40,000 keys for duplicates in linear time', function () {
    this.timeout(5000);
    const text = labels(40_000) + '  l39999: again\n';
    const ds = validateText(text).diagnostics;
    assert.equal(ds.length, 1);
    assert.match(ds[0].message, /^Duplicate key/);
    assert.equal(text.slice(ds[0].range.start, ds[0].range.end), 'l39999');
    assert.equal(ds[0].range.start, text.lastIndexOf('l39999'));
  });

  it('locates 40,000 problems in one mapping in linear time', function () {
    this.timeout(5000);
    const text = labels(40_000, (i) => `-l${i}`);
    const ds = validateText(text).diagnostics;
    assert.equal(ds.length, 40_000);
    assert.equal(text.slice(ds[39_999].range.start, ds[39_999].range.end), '-l39999');
  });

  it('checks the same mapping in a flow mapping and incrementally, in linear time', function () {
    this.timeout(5000);
    const flow =
      HEAD +
      'labels: {' +
      Array.from({ length: 40_000 }, (_, i) => `l${i}: v`).join(', ') +
      ', l7: x}\n';
    const [d] = validateText(flow).diagnostics;
    assert.match(d.message, /^Duplicate key/);
    assert.equal(d.range.start, flow.lastIndexOf('l7: x'));
    const parser = new SegmentedParser();
    const text = labels(40_000, (i) => `-l${i}`);
    parser.parse(text);
    const edited = text.replace('-l5: v', '-l5: w');
    assert.deepEqual(
      validateParsed(parser.parse(edited), {}, undefined).diagnostics,
      validateText(edited).diagnostics,
    );
    assert.equal(parser.lastStats.whole, false);
  });

  it('reports duplicates as yaml does: scalars with equal values, at the later key, at any depth', () => {
    const cases: [string, string | undefined][] = [
      [HEAD + 'env:\n  A: 1\n  "A": 2\n', '"A"'],
      [HEAD + 'runtime:\n  capabilities: { drop: [ALL], drop: [] }\n', 'drop'],
      [HEAD + 'files:\n  - { path: /a, content: x, path: /b }\n', 'path'],
      // 1 and "1" are different keys to yaml.
      [HEAD + 'env:\n  1: a\n  "1": b\n', undefined],
    ];
    for (const [text, dup] of cases) {
      const found = validateText(text).diagnostics.filter((d) => /^Duplicate key/.test(d.message));
      if (dup === undefined) assert.deepEqual(found, [], text);
      else {
        assert.equal(found.length, 1, text);
        assert.equal(found[0].range.start, text.lastIndexOf(dup), text);
      }
    }
  });

  it(`refuses a document over ${MAX_MASTER_COPY_BYTES / 1024 / 1024} MiB with one clear problem, without parsing it`, function () {
    this.timeout(5000);
    const text = HEAD + `description: "${'é'.repeat(MAX_MASTER_COPY_BYTES / 2)}"\n`;
    for (const ds of [
      validateText(text).diagnostics,
      new MasterCopyValidator().validate('doc', text).diagnostics,
      validateParsed(new SegmentedParser().parse(text), {}, undefined).diagnostics,
    ]) {
      assert.equal(ds.length, 1);
      assert.equal(ds[0].code, 'too-large');
      assert.match(
        ds[0].message,
        /^This master copy is 4(\.0)? MiB; a master copy may be at most 4 MiB/,
      );
    }
    assert.equal(
      parseWhole(HEAD + `description: "${'x'.repeat(MAX_MASTER_COPY_BYTES - HEAD.length - 20)}"\n`)
        .syntax.length,
      0,
      'just under the bound is parsed',
    );
  });
});
