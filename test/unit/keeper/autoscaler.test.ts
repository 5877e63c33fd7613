// The autoscaler's decisions, over a fake engine (the desired-count records) and a keeper
// whose copies and open connections the test sets, on a clock the test moves. The real
// keeper scaling real copies under load is in test/engine/healing.test.ts.
import * as assert from 'node:assert/strict';
import { readDesired, setDesired } from '../../../src/core/deploy/desired';
import type { LedgerRecord } from '../../../src/core/deploy/ledger';
import { Autoscaler, autoscaleText, recommend } from '../../../src/core/keeper/autoscaler';
import type { KeeperStatus } from '../../../src/core/keeper/keeper';
import type { Autoscale } from '../../../src/core/mastercopy/model';
import { FakeEngine } from '../copies/fakeEngine';

const T0 = Date.parse('2026-12-01T10:00:00Z');

class FakeKeeper {
  record: LedgerRecord | undefined;
  copies: KeeperStatus['copies'] = [];
  activeRecord(): LedgerRecord | undefined {
    return this.record;
  }
  status(): KeeperStatus {
    return { name: 'shop', active: this.record?.version ?? null, copies: this.copies };
  }
  /** `n` healthy copies of the active version with `open` connections spread over them. */
  serve(n: number, open: number): void {
    this.copies = Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      version: '1.0.0',
      index: i,
      address: `10.0.0.${i + 2}`,
      healthy: true,
      open: Math.floor(open / n) + (i < open % n ? 1 : 0),
      served: 0,
    }));
  }
}

function setup(policy: Autoscale, copies = policy.min) {
  const engine = new FakeEngine();
  const keeper = new FakeKeeper();
  keeper.record = {
    seq: 1,
    action: 'promote',
    version: '1.0.0',
    imageId: 'sha256:i',
    digest: 'sha256:d',
    outcome: 'promoted',
    at: new Date(T0).toISOString(),
    by: { user: 'ann', host: 'box' },
    git: null,
    replaced: null,
    copies,
    folder: null,
    gateway: { port: 18080, target: 8080 },
    autoscale: policy,
  };
  let now = T0;
  let decided = 0;
  const scaler = new Autoscaler(engine, keeper, {
    name: 'shop',
    now: () => now,
    onDecision: () => decided++,
  });
  const desired = async () => (await readDesired(engine, 'shop')).get('1.0.0')?.count;
  /** Ticks once a second for `seconds`. */
  const run = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      await scaler.tick();
      now += 1000;
    }
  };
  return { engine, keeper, scaler, desired, run, decided: () => decided };
}

describe('autoscaler', () => {
  describe('recommend', () => {
    it('asks for ceil(open / target), and says why', () => {
      assert.deepEqual(recommend({ min: 1, max: 10, inflight: 10 }, { serving: 3, open: 31 }), {
        count: 4,
        why: '31 open connections over 3 copies, target 10',
      });
    });
    it('the larger of two targets wins', () => {
      assert.deepEqual(
        recommend({ min: 1, max: 10, inflight: 10, cpu: 50 }, { serving: 2, open: 5, cpu: 180 }),
        { count: 4, why: '180 % CPU over 2 copies, target 50 %' },
      );
    });
    it('stays within min and max, and says so', () => {
      assert.deepEqual(recommend({ min: 1, max: 3, inflight: 2 }, { serving: 2, open: 20 }), {
        count: 3,
        why: '20 open connections over 2 copies, target 2 (at most 3)',
      });
      assert.deepEqual(recommend({ min: 2, max: 3, inflight: 2 }, { serving: 2, open: 0 }), {
        count: 2,
        why: '0 open connections over 2 copies, target 2 (at least 2)',
      });
    });
    it('a CPU target without a reading yet asks for nothing', () => {
      assert.equal(recommend({ min: 2, max: 9, cpu: 70 }, { serving: 2, open: 100 }), undefined);
    });
  });

  it('says a policy in words', () => {
    assert.equal(
      autoscaleText({ min: 1, max: 5, inflight: 10, cooldown: '30s' }),
      '1–5 copies on 10 open connections per copy (cooldown 30s)',
    );
    assert.equal(
      autoscaleText({ min: 2, max: 4, cpu: 70, dryRun: true }),
      '2–4 copies on 70 % CPU per copy (cooldown 30s, dry run)',
    );
    assert.equal(autoscaleText(null), 'none (a fixed count)');
  });

  it('scales up after the promote’s cooldown, at once when busy, to what the target asks and never past max', async () => {
    const t = setup({ min: 1, max: 3, inflight: 2, cooldown: '5s' });
    t.keeper.serve(1, 8);
    await t.run(4);
    assert.equal(
      await t.desired(),
      undefined,
      'nothing within the cooldown that follows the promote',
    );
    assert.match(t.scaler.snapshot()?.waiting ?? '', /cooling down until/);
    await t.run(2);
    assert.equal(await t.desired(), 3, '8 open on a target of 2 asks for 4, kept at max 3');
    const last = t.scaler.snapshot()!.decisions.at(-1)!;
    assert.deepEqual(
      [last.from, last.to, last.applied, last.reason],
      [1, 3, true, '1 → 3: 8 open connections over 1 copy, target 2 (at most 3)'],
    );
    assert.equal(t.decided(), 1, 'the healer was told');
    t.keeper.serve(3, 30);
    await t.run(20);
    assert.equal(await t.desired(), 3, 'never past max');
  });

  it('scales down only once the traffic has been low for a whole cooldown', async () => {
    const t = setup({ min: 1, max: 4, inflight: 2, cooldown: '5s' }, 4);
    t.keeper.serve(4, 8);
    await t.run(6);
    t.keeper.serve(4, 2);
    await t.run(3);
    t.keeper.serve(4, 5); // a burst: asks for 3, still below 4
    await t.run(1);
    t.keeper.serve(4, 2);
    await t.run(1);
    assert.equal(await t.desired(), undefined, 'not yet');
    await t.run(3);
    assert.equal(
      await t.desired(),
      3,
      'down to the highest ask of the low stretch (the burst asked for 3)',
    );
    t.keeper.serve(3, 0);
    await t.run(12);
    assert.equal(await t.desired(), 1, 'then down to min after another cooldown of low asks');
    assert.match(
      t.scaler.snapshot()!.decisions.at(-1)!.reason,
      /^3 → 1: 0 open connections over 3 copies, target 2 \(at least 1\)/,
    );
  });

  it('corrects a count outside the bounds at once', async () => {
    const t = setup({ min: 2, max: 4, inflight: 10, cooldown: '1m' }, 1);
    t.keeper.serve(1, 0);
    await t.run(1);
    assert.equal(await t.desired(), 2);
    assert.equal(t.scaler.snapshot()!.decisions.at(-1)!.reason, '1 → 2: below the minimum of 2');
  });

  it('a dry run decides the same but writes nothing, and says what it would do once', async () => {
    const t = setup({ min: 1, max: 3, inflight: 2, cooldown: '2s', dryRun: true });
    await setDesired(t.engine, 'shop', { version: '1.0.0', count: 1, by: 'promote' });
    t.keeper.serve(1, 8);
    await t.run(10);
    assert.equal(await t.desired(), 1, 'the count is untouched');
    const s = t.scaler.snapshot()!;
    assert.deepEqual(
      s.decisions.map((d) => [d.from, d.to, d.applied]),
      [[1, 3, false]],
      'one decision, not one a cooldown',
    );
    assert.equal(s.desired, 3, 'the count it would have set');
    assert.equal(t.decided(), 0, 'the healer was not told');
  });

  it('CPU: the engine’s counters between two samples, summed over the copies', async () => {
    const t = setup({ min: 1, max: 5, cpu: 50, cooldown: '1s' });
    t.keeper.serve(1, 0);
    // One CPU: 1.6 s of CPU in each second of the machine's is 160 %.
    for (let i = 0; i < 4; i++) {
      t.engine.cpuNs.set('c0', (t.engine.cpuNs.get('c0') ?? 0) + 1.6e9);
      t.engine.systemNs += 1e9;
      await t.run(1);
    }
    assert.equal(Math.round(t.scaler.snapshot()?.reading.cpu ?? 0), 160);
    assert.equal(await t.desired(), 4, '160 % on a target of 50 % asks for 4');
    assert.match(
      t.scaler.snapshot()!.decisions.at(-1)!.reason,
      /^1 → 4: 160 % CPU over 1 copy, target 50 %$/,
    );
  });

  it('without a CPU reading (stats the engine does not give) it keeps the count: no scale down to min', async () => {
    const t = setup({ min: 1, max: 5, cpu: 50, cooldown: '1s' }, 4);
    t.keeper.serve(4, 0); // no counters for c0..c3 in the fake engine: no reading
    await t.run(10);
    assert.equal(await t.desired(), undefined);
    assert.deepEqual(t.scaler.snapshot()?.decisions, []);
  });

  it('scales up even when no copy passes its probe (all busy under load), and never down then', async () => {
    const t = setup({ min: 1, max: 3, inflight: 2, cooldown: '1s' }, 2);
    t.keeper.serve(2, 8);
    t.keeper.copies = t.keeper.copies.map((c) => ({ ...c, healthy: false }));
    await t.run(3);
    assert.equal(await t.desired(), 3, '8 open on a target of 2, probes all failing: up to max');
    t.keeper.serve(3, 0);
    t.keeper.copies = t.keeper.copies.map((c) => ({ ...c, healthy: false }));
    await t.run(5);
    assert.equal(await t.desired(), 3, 'not down while nothing passes');
    assert.equal(t.scaler.snapshot()?.waiting, 'no copy passes its health check now');
  });

  it('has nothing to say without a policy', async () => {
    const t = setup({ min: 1, max: 2, inflight: 1 });
    t.keeper.record = { ...t.keeper.record!, autoscale: null };
    await t.run(3);
    assert.equal(t.scaler.snapshot(), undefined);
    assert.equal(await t.desired(), undefined);
  });
});
