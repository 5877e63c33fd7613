// The ledger and the lock over a fake engine that answers volume requests like the real one
// (creating an existing volume answers with it, whoever made it).
import * as assert from 'node:assert/strict';
import {
  LockedError,
  STALE_LOCK_MS,
  acquireLock,
  activeVersion,
  appendRecord,
  readLedger,
  type LedgerRecord,
  type LockDeps,
  type LockHolder,
} from '../../../src/core/deploy/ledger';
import { RollbackError, rollbackRecord } from '../../../src/core/deploy/rollback';
import { FakeEngine } from '../copies/fakeEngine';

const NOW = Date.parse('2026-12-01T10:00:00Z');

function record(
  version: string,
  outcome: LedgerRecord['outcome'],
  replaced: string | null = null,
): Omit<LedgerRecord, 'seq'> {
  return {
    action: 'promote',
    version,
    imageId: `sha256:${version}`,
    digest: 'sha256:d',
    outcome,
    at: new Date(NOW).toISOString(),
    by: { user: 'ann', host: 'box' },
    git: null,
    replaced,
    copies: 2,
    folder: null,
    gateway: null,
  };
}

function holder(more: Partial<LockHolder> = {}): LockHolder {
  return {
    user: 'ann',
    host: 'box',
    pid: 100,
    since: new Date(NOW).toISOString(),
    action: 'promote',
    version: '1.0.0',
    ...more,
  };
}

const deps = (alive: (pid: number) => boolean = () => true, now = NOW): LockDeps => ({
  processAlive: alive,
  hostName: 'box',
  now: () => now,
});

describe('ledger', () => {
  it('appends records under increasing sequence numbers and reads them back in order', async () => {
    const engine = new FakeEngine();
    await appendRecord(engine, 'shop', record('1.0.0', 'promoted'));
    await appendRecord(engine, 'shop', record('1.1.0', 'promoted', '1.0.0'));
    await appendRecord(engine, 'other', record('9.0.0', 'promoted'));
    const ledger = await readLedger(engine, 'shop');
    assert.deepEqual(
      ledger.map((r) => [r.seq, r.version]),
      [
        [1, '1.0.0'],
        [2, '1.1.0'],
      ],
    );
    assert.deepEqual(engine.volumes.map((v) => v.name).sort(), [
      'mastercopy.other.ledger.000001',
      'mastercopy.shop.ledger.000001',
      'mastercopy.shop.ledger.000002',
    ]);
  });

  it('writers racing for one sequence number each get their own', async () => {
    const engine = new FakeEngine();
    const written = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((v) => appendRecord(engine, 'shop', record(v, 'promoted'))),
    );
    assert.deepEqual(written.map((r) => r.seq).sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual((await readLedger(engine, 'shop')).map((r) => r.version).sort(), [
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('the active version is the newest record that went through; failed and cancelled ones change nothing', () => {
    const ledger = [
      record('1.0.0', 'promoted'),
      record('2.0.0', 'promoted', '1.0.0'),
      record('3.0.0', 'failed'),
      record('1.0.0', 'rolled-back', '2.0.0'),
      record('4.0.0', 'cancelled'),
    ].map((r, i) => ({ ...r, seq: i + 1 }));
    assert.equal(activeVersion(ledger)?.version, '1.0.0');
    assert.equal(activeVersion(ledger)?.record.seq, 4);
    assert.equal(activeVersion([]), undefined);
  });

  it('rollback goes to the version the active one replaced, or the one named; refuses what never served', () => {
    const ledger = [
      record('1.0.0', 'promoted'),
      record('2.0.0', 'promoted', '1.0.0'),
      record('3.0.0', 'failed', '2.0.0'),
    ].map((r, i) => ({ ...r, seq: i + 1 }));
    assert.equal(rollbackRecord(ledger, 'shop').version, '1.0.0');
    assert.equal(rollbackRecord(ledger, 'shop', '1.0.0').seq, 1);
    assert.throws(
      () => rollbackRecord(ledger, 'shop', '3.0.0'),
      (e: unknown) =>
        e instanceof RollbackError &&
        /never served on this engine; the ledger knows 1\.0\.0, 2\.0\.0/.test(e.message),
    );
    assert.throws(() => rollbackRecord(ledger, 'shop', '2.0.0'), /already serves 2\.0\.0/);
    assert.throws(() => rollbackRecord(ledger.slice(0, 1), 'shop'), /first version of shop/);
    assert.throws(() => rollbackRecord([], 'shop'), /never been promoted/);
  });
});

describe('deploy lock', () => {
  it('one holder at a time: the second is refused at once with who holds it and since when; after release it can be taken', async () => {
    const engine = new FakeEngine();
    const lock = await acquireLock(engine, 'shop', holder(), deps());
    await assert.rejects(
      acquireLock(engine, 'shop', holder({ user: 'bob', pid: 200, version: '2.0.0' }), deps()),
      (e: unknown) => {
        assert.ok(e instanceof LockedError);
        assert.match(
          e.message,
          /a promote to 1\.0\.0 by ann@box \(pid 100\) holds its lock since 2026-12-01T10:00:00\.000Z/,
        );
        return true;
      },
    );
    await lock.release();
    const again = await acquireLock(engine, 'shop', holder({ user: 'bob' }), deps());
    assert.equal(again.tookOverFrom, undefined);
  });

  it('a lock whose holder process is gone on this host is taken over at once, and says whose it was', async () => {
    const engine = new FakeEngine();
    await acquireLock(engine, 'shop', holder({ pid: 4242 }), deps());
    const lock = await acquireLock(
      engine,
      'shop',
      holder({ pid: 7 }),
      deps((pid) => pid !== 4242),
    );
    assert.equal(lock.tookOverFrom?.pid, 4242);
  });

  it('a lock this very process took but could not release (the engine was down) does not block it', async () => {
    const engine = new FakeEngine();
    const first = await acquireLock(engine, 'shop', holder({ pid: process.pid }), {
      ...deps(),
      pid: process.pid,
    });
    const removeVolume = engine.removeVolume.bind(engine);
    engine.removeVolume = async () => {
      throw new Error('engine down');
    };
    await assert.rejects(first.release(), /engine down/);
    engine.removeVolume = removeVolume;
    const again = await acquireLock(engine, 'shop', holder({ pid: process.pid }), {
      ...deps(),
      pid: process.pid,
    });
    assert.equal(again.tookOverFrom?.pid, process.pid);
    // While it holds the new one, this process is refused like anybody else.
    await assert.rejects(
      acquireLock(engine, 'shop', holder({ pid: process.pid }), { ...deps(), pid: process.pid }),
      LockedError,
    );
  });

  it('two deploys of this very process at once: one takes the lock, the other is refused (never taken for stale)', async () => {
    const engine = new FakeEngine();
    const d = { ...deps(), pid: process.pid };
    const results = await Promise.allSettled([
      acquireLock(engine, 'shop', holder({ pid: process.pid }), d),
      acquireLock(engine, 'shop', holder({ pid: process.pid, version: '2' }), d),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.ok(refused?.reason instanceof LockedError);
  });

  it('a lock of another host is respected until it is older than the bound', async () => {
    const engine = new FakeEngine();
    await acquireLock(engine, 'shop', holder({ host: 'far', pid: 1 }), deps());
    await assert.rejects(
      acquireLock(
        engine,
        'shop',
        holder(),
        deps(() => false, NOW + STALE_LOCK_MS - 1000),
      ),
      LockedError,
    );
    const lock = await acquireLock(
      engine,
      'shop',
      holder(),
      deps(() => false, NOW + STALE_LOCK_MS + 1000),
    );
    assert.equal(lock.tookOverFrom?.host, 'far');
  });
});
