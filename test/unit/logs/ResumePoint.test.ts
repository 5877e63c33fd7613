import * as assert from 'node:assert/strict';
import { ResumePoint } from '../../../src/core/logs/ResumePoint';
import { ts } from './frames';

describe('logs: ResumePoint', () => {
  it('asks again from the whole second before the last line and drops exactly what was delivered, counting equal timestamps', () => {
    const p = new ResumePoint();
    assert.equal(p.resume(), undefined);
    // Delivered: t1, t2, t2 (two lines in the same nanosecond).
    for (const k of [ts(1, 5), ts(2, 7), ts(2, 7)]) assert.equal(p.accept(k), true);
    const since = p.resume();
    assert.equal(since, Math.floor(Date.parse(ts(2, 7)) / 1000));
    // The engine replays from that second: t1, t2, t2 again, then a third t2 and a t3 that are new.
    const replay = [ts(1, 5), ts(2, 7), ts(2, 7), ts(2, 7), ts(3)];
    assert.deepEqual(
      replay.map((k) => p.accept(k)),
      [false, false, false, true, true],
    );
  });

  it('keeps everything once past the resume point, even an earlier stamp (stdout and stderr are stored slightly out of order)', () => {
    const p = new ResumePoint();
    p.accept(ts(5));
    p.resume();
    assert.deepEqual(
      [ts(4), ts(5), ts(4, 9), ts(6)].map((k) => p.accept(k)),
      [false, false, true, true],
    );
  });

  it('stops skipping when the resume point is gone from the log (rotated away)', () => {
    const p = new ResumePoint();
    p.accept(ts(5));
    p.resume();
    assert.deepEqual(
      [ts(7), ts(8)].map((k) => p.accept(k)),
      [true, true],
    );
  });
});
