import * as assert from 'node:assert/strict';
import { LogMerger } from '../../../src/core/logs/LogMerger';
import { ts } from './frames';

interface Item {
  timestamp: string;
  text: string;
}
const item = (second: number, text: string): Item => ({ timestamp: ts(second), text });

function drain(m: LogMerger<Item>): string[] {
  const out: string[] = [];
  for (let e = m.take(); e; e = m.take()) out.push(e.text);
  return out;
}

describe('logs: LogMerger', () => {
  it('orders the lines of several copies by timestamp, ties by copy order', () => {
    let now = 0;
    const m = new LogMerger<Item>(100, () => now);
    m.addSource('a', 0, true);
    m.addSource('b', 1, true);
    for (const [s, t, x] of [
      ['a', 1, 'a1'],
      ['a', 3, 'a3'],
      ['a', 5, 'a5'],
      ['b', 2, 'b2'],
      ['b', 3, 'b3'],
      ['b', 6, 'b6'],
    ] as const)
      m.push(s, item(t, x));
    // a5 waits: b may still send something before it (b's queue ends at b6 though, so only b6 waits for a).
    assert.deepEqual(drain(m), ['a1', 'b2', 'a3', 'b3', 'a5']);
    assert.equal(
      m.take(),
      undefined,
      'b6 waits for a: a is open and quiet for less than the window',
    );
    assert.equal(m.wakeAt(), 100);
    now = 100;
    assert.deepEqual(drain(m), ['b6']);
  });

  it('does not wait for a copy that is not streaming, nor longer than the window for one that is quiet', () => {
    let now = 0;
    const m = new LogMerger<Item>(100, () => now);
    m.addSource('a', 0, true);
    m.addSource('b', 1, false);
    m.addSource('c', 2, true);
    m.push('a', item(1, 'a1'));
    assert.equal(m.take(), undefined, 'c is open and just started');
    now = 60;
    m.touch('c');
    now = 99;
    assert.equal(m.take(), undefined, 'c sent bytes 39 ms ago and a1 has waited 99 ms…');
    now = 100;
    assert.deepEqual(drain(m), ['a1'], '…now a1 has waited the window');
    m.setBlocking('c', false);
    m.push('a', item(2, 'a2'));
    assert.deepEqual(drain(m), ['a2'], 'nobody else open: at once');
  });

  it('a single copy is never held back', () => {
    const m = new LogMerger<Item>(100, () => 0);
    m.addSource('a', 0, true);
    for (let i = 0; i < 5000; i++) m.push('a', item(i, `x${i}`));
    const out = drain(m);
    assert.equal(out.length, 5000);
    assert.equal(out[4999], 'x4999');
    assert.equal(m.size, 0);
  });

  it('forgets a removed source once it is drained', () => {
    const m = new LogMerger<Item>(100, () => 0);
    m.addSource('a', 0, true);
    m.push('a', item(1, 'last'));
    m.removeSource('a');
    assert.equal(m.queued('a'), 1);
    assert.deepEqual(drain(m), ['last']);
    assert.equal(m.queued('a'), 0);
  });
});
