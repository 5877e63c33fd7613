import * as assert from 'node:assert/strict';
import { CoalescingRunner } from '../../../src/core/util/coalescingRunner';

/** A job whose runs end when the test says so. */
function gatedJob() {
  const runs: (() => void)[] = [];
  const job = () => new Promise<void>((resolve) => runs.push(resolve));
  return { runs, job };
}

describe('CoalescingRunner', () => {
  it('runs once for one call', async () => {
    const { runs, job } = gatedJob();
    const r = new CoalescingRunner(job);
    const p = r.run();
    assert.equal(runs.length, 1);
    assert.equal(r.running, true);
    runs[0]();
    await p;
    assert.equal(r.running, false);
    assert.equal(runs.length, 1);
  });

  it('a burst of calls during a run shares it and costs exactly one more run, started after the burst', async () => {
    const { runs, job } = gatedJob();
    const r = new CoalescingRunner(job);
    const first = r.run();
    const during = [r.run(), r.run(), r.run()];
    for (const p of during) assert.equal(p, first, 'calls during a run get that run');
    assert.equal(runs.length, 1);
    runs[0]();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs.length, 2, 'one more run for the whole burst');
    assert.equal(r.running, true);
    const next = r.run();
    runs[1]();
    await next;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs.length, 3, 'a call during the second run asks for a third');
    runs[2]();
  });

  it('a failed run rejects its callers and does not stop the next', async () => {
    let n = 0;
    const r = new CoalescingRunner(async () => {
      n++;
      if (n === 1) throw new Error('engine said no');
    });
    await assert.rejects(r.run(), /engine said no/);
    await r.run();
    assert.equal(n, 2);
  });
});
