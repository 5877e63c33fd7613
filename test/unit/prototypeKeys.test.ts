// A key named `__proto__` is a key like any other: it never sets a prototype, in parsing
// (whole or incremental), in the model, in the canonical JSON or in the digest.
import * as assert from 'node:assert/strict';
import { canonicalJson, masterCopyDigest } from '../../src/core/build/digest';
import { generateDockerfile } from '../../src/core/build/dockerfile';
import { resolveSecrets } from '../../src/core/copies/secrets';
import { copyContainerSpec } from '../../src/core/copies/spec';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { SegmentedParser } from '../../src/core/mastercopy/segmentedParser';
import {
  MasterCopyValidator,
  validateParsed,
  validateText,
} from '../../src/core/mastercopy/validator';

const HEAD = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';

/** The incremental result, after the document's pieces are cached (the editor's path). */
function incremental(text: string) {
  const parser = new SegmentedParser();
  parser.parse(HEAD);
  const result = validateParsed(parser.parse(text), {}, undefined);
  assert.equal(parser.lastStats.whole, false, 'the document is parsed in pieces');
  return result;
}

describe('keys named __proto__', () => {
  it('are refused at the top level by the incremental parser as by the whole one', () => {
    const text =
      HEAD.replace('from: busybox:stable\n', '') +
      '__proto__:\n  from: evil:latest\n  runtime:\n    capabilities: { add: [ALL] }\n';
    const inc = incremental(text);
    const whole = validateText(text);
    assert.deepEqual(inc.diagnostics, whole.diagnostics);
    assert.ok(whole.diagnostics.some((d) => /Unknown property `__proto__`/.test(d.message)));
    assert.equal(inc.masterCopy, undefined);
    for (const value of [inc.parsed.value, whole.parsed.value] as Record<string, unknown>[]) {
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
      assert.ok(Object.prototype.hasOwnProperty.call(value, '__proto__'));
      assert.equal(value.from, undefined, 'nothing is inherited');
    }
  });

  it('stay ordinary keys inside a mapping, in every parser, the Dockerfile and the digest', () => {
    const text = (v: string) => HEAD + `env:\n  A: "1"\n  __proto__: ${v}\n`;
    const a = incremental(text('a'));
    const b = incremental(text('b'));
    assert.deepEqual(a.diagnostics, validateText(text('a')).diagnostics);
    assert.deepEqual(a.parsed.value, validateText(text('a')).parsed.value);
    const env = a.masterCopy!.env!;
    assert.deepEqual(Object.keys(env), ['A', '__proto__']);
    assert.equal(Object.getPrototypeOf(env), Object.prototype);
    assert.match(generateDockerfile(a.masterCopy!, []).text, /^ENV __proto__="a"$/m);
    assert.notEqual(masterCopyDigest(a.masterCopy!, []), masterCopyDigest(b.masterCopy!, []));
    assert.match(canonicalJson(a.masterCopy), /"__proto__":"a"/);
  });

  it("agree between the editor's validator and a whole validation", () => {
    const text = HEAD + 'env:\n  __proto__: x\nlabels:\n  team: a\n';
    const validator = new MasterCopyValidator();
    validator.warm('doc', text);
    const inc = validator.validate('doc', text);
    assert.deepEqual(inc.parsed.value, validateText(text).parsed.value);
    assert.deepEqual(inc.diagnostics, validateText(text).diagnostics);
  });

  it('are kept as data when copies are specified and secrets resolved', async () => {
    // As rollback and the keeper get it: JSON.parse makes `__proto__` an own key.
    const mc = JSON.parse(
      '{"mastercopy":1,"name":"demo","version":"1","dockerfile":"./Dockerfile",' +
        '"env":{"__proto__":"e"},"secrets":[{"name":"__proto__","fromEnv":"S"}]}',
    ) as MasterCopy;
    const secrets = await resolveSecrets(mc, '/nowhere', { S: 's' }, () => '');
    assert.deepEqual(Object.keys(secrets), ['__proto__']);
    const spec = copyContainerSpec(mc, {
      image: 'demo:1',
      digest: 'sha256:x',
      index: 0,
      network: 'n',
      secrets,
    });
    assert.deepEqual(Object.entries(spec.env!), [['__proto__', 's']]);
  });

  it('never reach the digest through a prototype: canonicalJson refuses objects that have one', () => {
    const polluted = Object.create({ from: 'evil' }) as Record<string, unknown>;
    polluted.name = 'demo';
    assert.throws(() => canonicalJson({ a: polluted }), /plain data/);
    assert.equal(
      canonicalJson(Object.assign(Object.create(null), { b: 1, a: 2 })),
      '{"a":2,"b":1}',
    );
  });
});
