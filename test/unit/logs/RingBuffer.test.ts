import * as assert from 'node:assert/strict';
import { RingBuffer } from '../../../src/core/logs/RingBuffer';

describe('logs: RingBuffer', () => {
  it('keeps the last N items, oldest first, never more', () => {
    const r = new RingBuffer<number>(3);
    assert.deepEqual(r.toArray(), []);
    r.push(1);
    r.push(2);
    assert.deepEqual(r.toArray(), [1, 2]);
    for (let i = 3; i <= 10_000; i++) {
      r.push(i);
      assert.ok(r.length <= 3);
    }
    assert.deepEqual(r.toArray(), [9998, 9999, 10000]);
    r.clear();
    assert.deepEqual(r.toArray(), []);
  });

  it('refuses a capacity that is not a positive whole number', () => {
    assert.throws(() => new RingBuffer(0), RangeError);
    assert.throws(() => new RingBuffer(1.5), RangeError);
  });
});
