import * as assert from 'node:assert/strict';
import {
  MAX_OFFSET,
  parseWebviewMessage,
  parsePreviewState,
} from '../../../src/core/preview/messages';

describe('preview webview messages', () => {
  it('accepts exactly the known shapes', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    for (const command of ['build', 'print', 'tailLogs', 'promote'])
      assert.deepEqual(parseWebviewMessage({ type: 'command', command }), {
        type: 'command',
        command,
      });
    assert.deepEqual(parseWebviewMessage({ type: 'rollback', seq: 3 }), {
      type: 'rollback',
      seq: 3,
    });
    assert.deepEqual(parseWebviewMessage({ type: 'reveal', start: 3, end: 9 }), {
      type: 'reveal',
      start: 3,
      end: 9,
    });
    assert.deepEqual(parseWebviewMessage({ type: 'reveal', start: 0, end: 0 }), {
      type: 'reveal',
      start: 0,
      end: 0,
    });
    assert.deepEqual(parseWebviewMessage(JSON.parse('{"type":"command","command":"print"}')), {
      type: 'command',
      command: 'print',
    });
  });

  it('returns a fresh object, not the one it was given', () => {
    const m = { type: 'reveal', start: 1, end: 2 };
    assert.notEqual(parseWebviewMessage(m), m);
  });

  it('refuses anything that is not a plain object', () => {
    for (const m of [
      undefined,
      null,
      'ready',
      42,
      true,
      [],
      ['ready'],
      new Date(),
      new (class {
        type = 'ready';
      })(),
      () => 'ready',
      new Map([['type', 'ready']]),
    ]) {
      assert.equal(parseWebviewMessage(m), undefined, String(m));
    }
  });

  it('refuses unknown types and commands, and commands of later issues', () => {
    for (const m of [
      { type: 'Ready' },
      { type: 'update', body: '<b>x</b>' },
      { type: ['ready'] },
      { type: 'command', command: 'rollback' },
      { type: 'command', command: 'dispose' },
      { type: 'command', command: 'Build' },
      { type: 'command', command: 'constructor' },
      { type: 'command', command: '__proto__' },
      { type: 'command', command: 'toString' },
      { type: 'command', command: ['build'] },
      { type: 'command', command: { toString: () => 'build' } },
      { type: 'command' },
    ]) {
      assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
    }
  });

  it('a rollback names its ledger record by a whole number, and nothing else', () => {
    for (const seq of [
      0,
      -1,
      1.5,
      NaN,
      Infinity,
      2 ** 31,
      '3',
      [3],
      { valueOf: () => 3 },
      null,
      undefined,
    ]) {
      assert.equal(parseWebviewMessage({ type: 'rollback', seq }), undefined, String(seq));
    }
    assert.equal(parseWebviewMessage({ type: 'rollback' }), undefined);
    assert.equal(
      parseWebviewMessage({ type: 'rollback', seq: 3, name: 'other-master-copy' }),
      undefined,
      'the page never names the master copy',
    );
    assert.equal(parseWebviewMessage({ type: 'rollback', seq: 3, version: '0.1.0' }), undefined);
  });

  it('refuses extra properties', () => {
    assert.equal(parseWebviewMessage({ type: 'ready', x: 1 }), undefined);
    assert.equal(
      parseWebviewMessage({ type: 'command', command: 'build', args: ['--host', 'tcp://evil'] }),
      undefined,
    );
    assert.equal(
      parseWebviewMessage({ type: 'reveal', start: 1, end: 2, file: '/etc/passwd' }),
      undefined,
    );
  });

  it('refuses offsets that are not small whole numbers in order', () => {
    for (const [start, end] of [
      [-1, 2],
      [1.5, 2],
      [1, 2.5],
      [NaN, 1],
      [0, Infinity],
      [0, 1e20],
      [0, MAX_OFFSET + 1],
      [0, Number.MAX_SAFE_INTEGER + 2],
      ['1', 2],
      [1, '2'],
      [1, null],
      [5, 4],
      [0n, 1],
    ] as unknown[][]) {
      assert.equal(
        parseWebviewMessage({ type: 'reveal', start, end }),
        undefined,
        `${String(start)}, ${String(end)}`,
      );
    }
    assert.deepEqual(parseWebviewMessage({ type: 'reveal', start: 0, end: MAX_OFFSET }), {
      type: 'reveal',
      start: 0,
      end: MAX_OFFSET,
    });
  });

  it('refuses a reveal beyond the text when its length is given', () => {
    assert.deepEqual(
      parseWebviewMessage({ type: 'reveal', start: 0, end: 10 }, { textLength: 10 }),
      { type: 'reveal', start: 0, end: 10 },
    );
    assert.equal(
      parseWebviewMessage({ type: 'reveal', start: 0, end: 11 }, { textLength: 10 }),
      undefined,
    );
  });

  it('refuses prototype pollution attempts and inherited or computed properties, without calling getters', () => {
    assert.equal(
      parseWebviewMessage(JSON.parse('{"type":"ready","__proto__":{"polluted":true}}')),
      undefined,
    );
    assert.equal(parseWebviewMessage(JSON.parse('{"__proto__":{"type":"ready"}}')), undefined);
    assert.equal(
      parseWebviewMessage({ type: 'ready', constructor: { prototype: { polluted: true } } }),
      undefined,
    );
    assert.equal(
      parseWebviewMessage(Object.create({ type: 'ready' })),
      undefined,
      'inherited type',
    );
    const inherits = Object.create({ polluted: true });
    inherits.type = 'ready';
    assert.equal(
      parseWebviewMessage(inherits),
      undefined,
      'a prototype other than Object.prototype',
    );
    let called = false;
    const getter = Object.defineProperty({}, 'type', {
      enumerable: true,
      get() {
        called = true;
        return 'ready';
      },
    });
    assert.equal(parseWebviewMessage(getter), undefined);
    assert.equal(called, false, 'the getter never ran');
    assert.equal(parseWebviewMessage({ type: 'ready', [Symbol('x')]: 1 }), undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
    // A null-prototype object (what a structured clone may give) is fine.
    const bare = Object.assign(Object.create(null), { type: 'command', command: 'build' });
    assert.deepEqual(parseWebviewMessage(bare), { type: 'command', command: 'build' });
  });

  it('refuses objects with many keys', () => {
    const big: Record<string, unknown> = { type: 'ready' };
    for (let i = 0; i < 10_000; i++) big[`k${i}`] = i;
    assert.equal(parseWebviewMessage(big), undefined);
  });

  describe('the page state a restored panel is handed', () => {
    it("takes the master copy's URI and the scroll position", () => {
      assert.deepEqual(parsePreviewState({ source: 'file:///w/a.mastercopy.yaml', scrollY: 120 }), {
        source: 'file:///w/a.mastercopy.yaml',
        scrollY: 120,
      });
      assert.deepEqual(parsePreviewState({ source: 'file:///w/a.mastercopy.yaml' }), {
        source: 'file:///w/a.mastercopy.yaml',
      });
      // A bad scroll position is dropped, not the state.
      assert.deepEqual(parsePreviewState({ source: 'file:///w/a.mastercopy.yaml', scrollY: -1 }), {
        source: 'file:///w/a.mastercopy.yaml',
      });
    });

    it('refuses states without a usable source, or with anything else in them', () => {
      for (const state of [
        undefined,
        null,
        'file:///w/a.mastercopy.yaml',
        {},
        { scrollY: 3 },
        { source: '' },
        { source: 42 },
        { source: 'file:///a\nb' },
        { source: 'x'.repeat(5000) },
        { source: 'file:///a', extra: 1 },
        Object.create({ source: 'file:///a' }),
      ]) {
        assert.equal(parsePreviewState(state), undefined, JSON.stringify(state));
      }
    });
  });
});
