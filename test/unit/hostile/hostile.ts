// Shared pieces of the hostile-input properties (issue 14, "The suite that keeps them out",
// item 1): the seed, run sizes, the valid master copies that mutations start from, and the
// generators of hostile text.
//
// Replaying a failure: every property of a run uses one seed, printed when the suite starts
// ("hostile input: seed N"); fast-check also prints seed and path of a failing case.
//   MASTERCOPY_FC_SEED=N npx mocha 'out/test/unit/hostile/*.test.js'
// replays the whole run with that seed. MASTERCOPY_FC_RUNS=K multiplies every property's
// case count by K (a longer hunt; the default keeps the unit suite fast).
import * as fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scaffoldMasterCopy } from '../../../src/core/mastercopy/scaffold';
import { repoRoot } from '../../support/repoRoot';

// Each test file is a bundle of its own: the first one to load picks the seed, for all.
process.env.MASTERCOPY_FC_SEED ??= String(Date.now() % 2 ** 31);
export const seed = Number(process.env.MASTERCOPY_FC_SEED) | 0;
const scale = Math.max(1, Number(process.env.MASTERCOPY_FC_RUNS ?? 1) || 1);

let announced = false;
/** fast-check's options for a property with `numRuns` cases (the seed is the run's one seed). */
export function runs(numRuns: number): fc.Parameters<unknown> {
  if (!announced) {
    announced = true;
    console.log(`      hostile input: seed ${seed} (replay: MASTERCOPY_FC_SEED=${seed})`);
  }
  return { seed, numRuns: Math.round(numRuns * scale) };
}

/** Far above what any case takes: a case past it hangs (catastrophic backtracking, a loop). */
export const CASE_MS = 2000;

/**
 * `work()`, failing the case when it takes longer than CASE_MS twice in a row (other work on
 * a shared machine can stall one run; a hang stalls both).
 */
export function timed<T>(what: string, work: () => T): T {
  let ms = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const start = performance.now();
    const result = work();
    ms = performance.now() - start;
    if (ms <= CASE_MS) return result;
  }
  throw new Error(`${what} took ${Math.round(ms)} ms, twice (bound ${CASE_MS} ms)`);
}

export async function timedAsync<T>(what: string, work: () => Promise<T>): Promise<T> {
  let ms = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const start = performance.now();
    const result = await work();
    ms = performance.now() - start;
    if (ms <= CASE_MS) return result;
  }
  throw new Error(`${what} took ${Math.round(ms)} ms, twice (bound ${CASE_MS} ms)`);
}

// A full collection on demand, so that garbage is not taken for growth (mocha runs without
// --expose-gc; the flag can still be set at run time and `gc` read from a fresh context).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Heap growth across a suite: an alias bomb that expands, a cache that never forgets. */
export class HeapWatch {
  private readonly base: number;
  private peak = 0;
  constructor(private readonly boundBytes: number) {
    collect();
    this.base = process.memoryUsage().heapUsed;
  }
  /** Fails when the heap, garbage collected, has grown past the bound. Collects only when it looks so. */
  sample(): void {
    let used = process.memoryUsage().heapUsed;
    if (used - this.base > this.boundBytes) {
      collect();
      used = process.memoryUsage().heapUsed;
    }
    if (used > this.peak) this.peak = used;
    if (used - this.base > this.boundBytes)
      throw new Error(
        `the heap grew by ${Math.round((used - this.base) / 2 ** 20)} MiB (bound ${this.boundBytes / 2 ** 20} MiB)`,
      );
  }
  /** The growth that is left once everything collectable is collected. */
  retainedMiB(): number {
    collect();
    return Math.round((process.memoryUsage().heapUsed - this.base) / 2 ** 20);
  }
}

/** A range that lies inside a text of `length` code units. */
export function rangeInside(r: { start: number; end: number }, length: number): boolean {
  return (
    Number.isInteger(r.start) &&
    Number.isInteger(r.end) &&
    0 <= r.start &&
    r.start <= r.end &&
    r.end <= length
  );
}

// --- Valid master copies: where truncations and mutations start -----------------------

function exampleFiles(): string[] {
  const root = join(repoRoot(), 'examples');
  const out: string[] = [];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(root, dir.name)))
      if (/\.mastercopy\.ya?ml$/.test(f)) out.push(readFileSync(join(root, dir.name, f), 'utf8'));
  }
  return out;
}

/** The examples, the scaffold, and a small one with every section in flow and block style. */
export const VALID_TEXTS: readonly string[] = [
  ...exampleFiles(),
  scaffoldMasterCopy('hostile'),
  `mastercopy: 1
name: every-section
version: "2.0.0-rc.1"
from: alpine:3.20
build:
  args: { NODE_VERSION: "22", DEBUG: false }
  steps:
    - apk add --no-cache curl
    - ["/bin/sh", "-c", "echo built > /built"]
files:
  - { path: /app/a.txt, content: "a", mode: "0600", owner: "1000:1000" }
env:
  A: "1"
  B: 2
  C: true
user: app
workdir: /app
entrypoint: ["/sbin/tini", "--"]
command: node server.js
ports:
  - 8080
  - { port: 9090, protocol: udp }
health:
  command: wget -q -O- http://127.0.0.1:8080/health
  interval: 5s
copies: 3
volumes:
  - { name: data, path: /data, readOnly: false }
secrets:
  - { name: DB_PASSWORD, fromEnv: DB_PASSWORD }
labels: { team: core, "app.kubernetes.io/name": every-section }
`,
];

// --- Hostile text ---------------------------------------------------------------------

/** Pieces that mean something to YAML, to a terminal, to a Dockerfile or to a JS object. */
const TOKENS = [
  ':',
  ': ',
  '- ',
  '#',
  ' #',
  '&a ',
  '*a',
  '!!str ',
  '!!binary ',
  '!<tag:x> ',
  '|',
  '|-',
  '>',
  "'",
  '"',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '? ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '@',
  '`',
  '<<: *a',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\n  ',
  '\n- ',
  '\\',
  '\\\n',
  '$',
  '${HOME}',
  '$(id)',
  '\nRUN rm -rf /',
  '\nFROM scratch',
  '# escape=`\n',
  '<<EOF\n',
  '\0',
  '\x07',
  '\x08',
  '\x1b[31m',
  '\x1b]0;title\x07',
  '\x7f',
  '\x85',
  '\u00a0',
  '\u200b',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u202a',
  '\u202b',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '\u{1f600}',
  'é',
  'ß',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  '~',
  'true',
  'yes',
  'on',
  '0x1F',
  '1e400',
  '.inf',
  '-.nan',
  '0o17',
  '..',
  '../',
  '/..',
  './',
  '~/',
  'C:\\',
];

/** A short string made of hostile pieces and arbitrary code units. */
export function hostileString(maxPieces = 8): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...TOKENS) },
        { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
        { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9._/-]{1,8}$/) },
      ),
      { maxLength: maxPieces },
    )
    .map((parts) => parts.join(''));
}

/** One edit of a text: an insertion, a deletion, a line moved, indented or cut. */
export type Edit = (text: string) => string;

const at = (text: string, f: number) => Math.floor(f * (text.length + 1));
const lineEdit = (f: number, g: (lines: string[], i: number) => void): Edit => {
  return (text) => {
    const lines = text.split('\n');
    g(lines, Math.min(lines.length - 1, Math.floor(f * lines.length)));
    return lines.join('\n');
  };
};

export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), hostileString(4)).map(
    ([f, s]) =>
      (t: string) =>
        t.slice(0, at(t, f)) + s + t.slice(at(t, f)),
  ),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 40 })).map(
    ([f, n]) =>
      (t: string) =>
        t.slice(0, at(t, f)) + t.slice(at(t, f) + n),
  ),
  fc.double({ min: 0, max: 1, noNaN: true }).map((f) => (t: string) => t.slice(0, at(t, f))),
  fc
    .double({ min: 0, max: 1, noNaN: true })
    .map((f) => lineEdit(f, (ls, i) => ls.splice(i, 0, ls[i]))),
  fc.double({ min: 0, max: 1, noNaN: true }).map((f) => lineEdit(f, (ls, i) => ls.splice(i, 1))),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(' ', '  ', '\t', '- '))
    .map(([f, p]) => lineEdit(f, (ls, i) => (ls[i] = p + ls[i]))),
  fc
    .double({ min: 0, max: 1, noNaN: true })
    .map((f) => lineEdit(f, (ls, i) => (ls[i] = ls[i].replace(/^\s{1,2}/, '')))),
  fc.constant((t: string) => t.replace(/\n/g, '\r\n')),
  fc.constant((t: string) => '\ufeff' + t),
);

/** A valid master copy with a few edits: what an editor holds while someone types. */
export const mutatedText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...VALID_TEXTS), fc.array(editArb, { minLength: 1, maxLength: 6 }))
  .map(([text, edits]) => edits.reduce((t, e) => e(t), text));

const HEAD = 'mastercopy: 1\nname: hostile\nversion: "1.0.0"\nfrom: busybox:stable\n';

/**
 * Documents built to be expensive: nesting, size, aliases, prototype keys. Bounded: `big`
 * reaches 100,000-character scalars and 5,000-entry mappings (validation takes a few hundred
 * ms there; test/unit/validationSize.test.ts covers 40,000), small a tenth of that.
 */
export function structuredHostile(big: boolean): fc.Arbitrary<string> {
  const k = big ? 1 : 10;
  return fc.oneof(
    // Deep nesting, flow and block.
    fc
      .tuple(fc.integer({ min: 1, max: 3000 / k }), fc.constantFrom('[', '{a: ', '- ', '{', '[['))
      .map(([depth, open]) => HEAD + 'labels: ' + open.repeat(depth) + '\n'),
    fc.tuple(fc.integer({ min: 1, max: 400 / k }), fc.boolean()).map(([depth, seq]) => {
      let s = HEAD + 'runtime:\n';
      for (let i = 1; i <= depth; i++) s += '  '.repeat(i) + (seq ? '- ' : `k${i}:`) + '\n';
      return s;
    }),
    // Huge scalars: plain, quoted, block.
    fc
      .tuple(
        fc.integer({ min: 1, max: 100_000 / k }),
        fc.constantFrom('x', '"', "'", ' ', '\\', '\u{1f600}'),
        fc.constantFrom('plain', 'double', 'single', 'block'),
      )
      .map(([n, c, style]) => {
        const body = c.repeat(Math.ceil(n / c.length));
        if (style === 'double') return HEAD + `description: "${body.replace(/["\\]/g, '\\$&')}"\n`;
        if (style === 'single') return HEAD + `description: '${body.replace(/'/g, "''")}'\n`;
        if (style === 'block') return HEAD + `description: |\n  ${body}\n`;
        return HEAD + `description: ${body}\n`;
      }),
    // Huge mappings and lists (duplicate keys too).
    fc
      .tuple(
        fc.integer({ min: 1, max: 5000 / k }),
        fc.constantFrom('labels', 'env', 'ports'),
        fc.boolean(),
      )
      .map(([n, key, dup]) => {
        const lines: string[] = [];
        for (let i = 0; i < n; i++) {
          const k = dup ? `K${i % 50}` : `K${i}`;
          lines.push(key === 'ports' ? `  - ${1 + (i % 65535)}` : `  ${k}: v${i}`);
        }
        return HEAD + `${key}:\n${lines.join('\n')}\n`;
      }),
    fc
      .integer({ min: 1, max: 5000 / k })
      .map(
        (n) =>
          HEAD + 'env: {' + Array.from({ length: n }, (_, i) => `K${i}: ${i}`).join(', ') + '}\n',
      ),
    // Alias bombs ("billion laughs"): each level refers to the one before many times.
    fc
      .tuple(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 2, max: 12 }),
        fc.constantFrom('labels', 'env', 'x', 'files'),
      )
      .map(([levels, width, key]) => {
        let s = HEAD + `${key}:\n  l0: &l0 ["lol"]\n`;
        for (let i = 1; i <= levels; i++)
          s += `  l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]\n`;
        return s;
      }),
    fc.integer({ min: 2, max: 12 }).map((levels) => {
      // Merge keys multiply too.
      let s = HEAD + 'env:\n  m0: &m0 { A: "1" }\n';
      for (let i = 1; i <= levels; i++) s += `  m${i}: &m${i} { <<: [*m${i - 1}, *m${i - 1}] }\n`;
      return s;
    }),
    // Prototype keys anywhere a key can be.
    fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'prototype', '"__proto__"', '? __proto__\n  '),
        fc.constantFrom(
          '',
          'env:\n  ',
          'labels:\n  ',
          'runtime:\n  ',
          'build:\n  args:\n    ',
          'health:\n  ',
        ),
        fc.constantFrom('x', '{ from: evil }', '[1]', '{ add: [ALL] }', 'null', '&p { a: 1 }'),
      )
      .map(([key, where, value]) => HEAD + `${where}${key}: ${value}\n`),
  );
}

/** Any text at all: hostile strings, mutated valid copies, the expensive shapes. */
export function anyText(big = true): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: hostileString(40) },
    { weight: 4, arbitrary: mutatedText },
    { weight: 2, arbitrary: structuredHostile(big) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) },
  );
}

/** Bytes: arbitrary, or a valid copy's UTF-8 with some bytes changed (Latin-1, lone continuations, BOMs). */
export const anyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc
    .tuple(
      mutatedText,
      fc.array(
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })),
        {
          maxLength: 4,
        },
      ),
      fc.constantFrom(
        [],
        [0xef, 0xbb, 0xbf],
        [0xfe, 0xff],
        [0xff, 0xfe],
        [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
      ),
    )
    .map(([text, changes, bom]) => {
      const bytes = Buffer.concat([Buffer.from(bom), Buffer.from(text, 'utf8')]);
      for (const [f, b] of changes)
        bytes[Math.min(bytes.length - 1, Math.floor(f * bytes.length))] = b;
      return new Uint8Array(bytes);
    }),
  // Latin-1 and UTF-16 encodings of a valid copy.
  fc
    .tuple(
      fc.constantFrom(...VALID_TEXTS),
      fc.constantFrom('latin1', 'utf16le') as fc.Arbitrary<BufferEncoding>,
    )
    .map(([text, enc]) => new Uint8Array(Buffer.from(`# café\n${text}`, enc))),
);

/** A sequence of versions of one document, each an edit of the one before. */
export const editSession: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...VALID_TEXTS) },
      { weight: 1, arbitrary: anyText(false) },
    ),
    fc.array(editArb, { minLength: 1, maxLength: 8 }),
  )
  .map(([text, edits]) => {
    const out = [text];
    for (const e of edits) out.push(e(out[out.length - 1]));
    return out;
  });
