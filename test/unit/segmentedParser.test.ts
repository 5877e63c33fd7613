import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentedParser } from '../../src/core/mastercopy/segmentedParser';
import { validateParsed, validateText } from '../../src/core/mastercopy/validator';
import { parseWhole } from '../../src/core/mastercopy/yamlSource';
import { bigMasterCopy } from '../support/bigMasterCopy';

const example = readFileSync(
  join(
    __dirname,
    '..',
    '..',
    '..',
    'examples',
    'transaction-service',
    'transaction-service.mastercopy.yaml',
  ),
  'utf8',
);

/** Incremental and whole validation must agree exactly: value, diagnostics and ranges. */
function assertSame(parser: SegmentedParser, text: string) {
  const inc = validateParsed(parser.parse(text), {}, undefined);
  const whole = validateText(text);
  assert.deepEqual(
    inc.diagnostics,
    whole.diagnostics,
    `diagnostics differ for:\n${text.slice(0, 400)}`,
  );
  assert.deepEqual(inc.parsed.value, whole.parsed.value);
  return inc;
}

function rng(seed: number) {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
}

describe('incremental parsing', () => {
  it('is used for a large valid document, and reuses the unchanged pieces', () => {
    const p = new SegmentedParser();
    const text = bigMasterCopy(2000);
    assertSame(p, text);
    assert.equal(p.lastStats.whole, false);
    assert.equal(p.lastStats.reused, 0);
    const edited = text.replace('SETTING_7: "on"', 'SETTING_7: "off"');
    assertSame(p, edited);
    assert.equal(p.lastStats.whole, false);
    assert.equal(p.lastStats.units - p.lastStats.reused, 1, 'only the edited item is parsed again');
  });

  it('gives the same locations as a whole parse for every path', () => {
    const p = new SegmentedParser();
    const text = bigMasterCopy(600);
    const seg = p.parse(text);
    const whole = parseWhole(text);
    const walk = (v: unknown, path: (string | number)[]) => {
      assert.deepEqual(seg.locate(path), whole.locate(path), `locate(${JSON.stringify(path)})`);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(whole.value, []);
    assert.deepEqual(seg.firstKey(), whole.firstKey());
  });

  for (const [name, base, edits] of [
    ['the example', example, 300],
    ['a large document', bigMasterCopy(300), 100],
  ] as const) {
    it(`agrees with a whole parse after ${edits} random edits of ${name}`, function () {
      this.timeout(30_000);
      const rnd = rng(7);
      const alphabet = [
        'a',
        ' ',
        '\n',
        ':',
        '-',
        '#',
        '"',
        "'",
        '[',
        ']',
        '{',
        '}',
        '1',
        '  ',
        '\t',
        '|',
        '&x ',
        '*x',
        'key: v\n',
        '- ',
      ];
      const p = new SegmentedParser();
      let text = base;
      for (let n = 0; n < edits; n++) {
        const at = Math.floor(rnd() * (text.length + 1));
        if (rnd() < 0.5 && text.length > 0)
          text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 3));
        else
          text = text.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + text.slice(at);
        assertSame(p, text);
        // Keep the document mostly recognisable: now and then start again from the original.
        if (n % 25 === 24) text = base;
      }
    });
  }

  it('agrees on documents it cannot cut (directives, flow at the top, comments first)', () => {
    const p = new SegmentedParser();
    for (const text of [
      '%YAML 1.2\n---\nmastercopy: 1\n',
      '{mastercopy: 1, name: a}\n',
      '# c\n\nmastercopy: 1\nname: a\n',
      '"quoted": 1\n',
      'files:\n- path: /a\n  content: x\n',
      'a: 1\n...\n',
      'env:\n  A: 1\n B: 2\n',
    ]) {
      assertSame(p, text);
    }
  });

  it('falls back to a whole parse while the text has a YAML error, and recovers', () => {
    const p = new SegmentedParser();
    assertSame(p, example);
    assertSame(p, example.replace('ports: [8080]', 'ports: [8080'));
    assert.equal(p.lastStats.whole, true);
    assertSame(p, example);
    assert.equal(p.lastStats.whole, false);
  });
});
