// followLogs against the unit tests' fake engine: merging, backpressure, and each path a
// copy's log can take (restarted, joined, stopped, left, the engine lost and back, read
// to "now" without follow).
import * as assert from 'node:assert/strict';
import { EngineUnreachableError } from '../../../src/core/engine/errors';
import { LogFormatter } from '../../../src/core/logs/LogFormatter';
import { followLogs } from '../../../src/core/logs/LogFollower';
import type { LogEntry, LogMarkerEvent } from '../../../src/core/logs/types';
import { sinceSeconds } from '../../../src/cli/commands/logs';
import { FakeEngine, type FakeLogMessage } from '../copies/fakeEngine';
import { ts } from './frames';

const msg = (
  second: number,
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout',
  nanos = 0,
): FakeLogMessage => ({ stream, ts: ts(second, nanos), text });
/** A message stamped `ms` from now (RFC 3339 with nanoseconds, as the engine writes them). */
const msgAt = (ms: number, text: string): FakeLogMessage => ({
  stream: 'stdout',
  ts: `${new Date(ms).toISOString().slice(0, 23)}000000Z`,
  text,
});
const texts = (entries: LogEntry[]) =>
  entries.map((e) => (e.kind === 'line' ? `${e.copyIndex}:${e.text}` : `-- ${e.event}`));
const lines = (entries: LogEntry[]) =>
  entries.flatMap((e) => (e.kind === 'line' ? [`${e.copyIndex}:${e.text}`] : []));
const markers = (entries: LogEntry[]) => entries.flatMap((e) => (e.kind === 'marker' ? [e] : []));
const isMarker = (event: LogMarkerEvent) => (e: LogEntry) =>
  e.kind === 'marker' && e.event === event;
const isLine = (text: string) => (e: LogEntry) =>
  e.kind === 'line' && `${e.copyIndex}:${e.text}` === text;

/** Takes entries into `got` until each of `wanted` has matched one, in any order (the test's timeout bounds the wait). */
async function until(
  it: AsyncIterator<LogEntry>,
  got: LogEntry[],
  ...wanted: ((e: LogEntry) => boolean)[]
): Promise<void> {
  const missing = new Set(wanted);
  while (missing.size) {
    const r = await it.next();
    if (r.done)
      throw new Error(
        `the tail ended before the entries waited for; it gave: ${texts(got).join(', ')}`,
      );
    got.push(r.value);
    for (const w of missing) if (w(r.value)) missing.delete(w);
  }
}

describe('logs: followLogs against a fake engine', () => {
  it('merges the copies of a master copy in timestamp order, each log read to its end', async () => {
    const engine = new FakeEngine();
    engine.addCopy({
      id: 'a',
      index: 0,
      log: [msg(1, 'a1'), msg(3, 'a3', 'stderr'), msg(5, 'a5')],
      running: false,
    });
    engine.addCopy({
      id: 'b',
      index: 1,
      log: [msg(2, 'b2'), msg(4, 'b4'), msg(6, 'b6')],
      running: false,
    });
    const entries: LogEntry[] = [];
    for await (const e of followLogs(engine, { name: 'svc' })) entries.push(e);
    assert.deepEqual(texts(entries), ['0:a1', '1:b2', '0:a3', '1:b4', '0:a5', '1:b6']);
    const a3 = entries[2];
    assert.ok(
      a3.kind === 'line' &&
        a3.stream === 'stderr' &&
        a3.version === '1.0.0' &&
        a3.timestamp === ts(3),
    );
  });

  it('keeps memory bounded: a copy is paused while its lines wait for a slow consumer', async () => {
    const engine = new FakeEngine();
    const log = Array.from({ length: 20_000 }, (_, i) => msg(1, `line ${i}`, 'stdout', i));
    engine.addCopy({ id: 'a', index: 0, log, running: false });
    const follower = followLogs(engine, { name: 'svc' }, { maxQueuedLines: 100, maxBatch: 10 });
    let n = 0;
    let most = 0;
    for await (const batch of follower.batches()) {
      most = Math.max(most, follower.buffered);
      n += batch.length;
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(n, 20_000);
    assert.ok(most <= 101, `at most ${most} lines were waiting`);
  });

  it(
    'follows a copy across a restart: resumes from its last line, ' +
      'no line repeated or lost (equal timestamps too), and says so',
    async () => {
      const engine = new FakeEngine();
      engine.addCopy({
        id: 'a',
        index: 0,
        log: [msg(1, 'one'), msg(2, 'two'), msg(2, 'two again')],
      });
      const ac = new AbortController();
      const it = followLogs(engine, { name: 'svc' }, { follow: true, windowMs: 10 }, ac.signal)[
        Symbol.asyncIterator
      ]();
      const got: LogEntry[] = [];
      for (let i = 0; i < 3; i++) got.push((await it.next()).value as LogEntry);
      engine.stop('a');
      got.push((await it.next()).value as LogEntry);
      // Written as it starts again: in the same nanosecond as the last line, and later.
      engine.containers.get('a')?.log?.push(msg(2, 'two, third time'), msg(7, 'seven'));
      engine.start('a', 'run-2');
      for (let i = 0; i < 3; i++) got.push((await it.next()).value as LogEntry);
      ac.abort();
      assert.deepEqual(texts(got), [
        '0:one',
        '0:two',
        '0:two again',
        '-- stopped',
        '-- restarted',
        '0:two, third time',
        '0:seven',
      ]);
      assert.equal(engine.logRequests[1].since, Math.floor(Date.parse(ts(2)) / 1000));
      assert.equal(engine.logRequests[1].tail, undefined);
      assert.equal((await it.next()).done, true);
    },
  );

  it('--tail applies to each copy; a copy printed later joins with its whole log', async () => {
    const engine = new FakeEngine();
    engine.addCopy({ id: 'a', index: 0, log: [msg(1, 'old'), msg(2, 'recent')] });
    const ac = new AbortController();
    const it = followLogs(
      engine,
      { name: 'svc', version: '1.0.0' },
      { follow: true, tail: 1, windowMs: 10 },
      ac.signal,
    )[Symbol.asyncIterator]();
    const got: LogEntry[] = [(await it.next()).value as LogEntry];
    engine.addCopy({
      id: 'b',
      index: 1,
      log: [msg(3, 'new copy first'), msg(4, 'new copy second')],
    });
    engine.start('b', 'run-1');
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as LogEntry);
    ac.abort();
    assert.deepEqual(texts(got), [
      '0:recent',
      '-- joined',
      '1:new copy first',
      '1:new copy second',
    ]);
  });

  it('a copy that stops says so, with its exit code', async () => {
    const engine = new FakeEngine();
    engine.addCopy({ id: 'a', index: 0, log: [msg(1, 'working')] });
    const ac = new AbortController();
    const it = followLogs(engine, { name: 'svc' }, { follow: true, windowMs: 10 }, ac.signal)[
      Symbol.asyncIterator
    ]();
    const got: LogEntry[] = [];
    await until(it, got, isLine('0:working'));
    engine.stop('a', 7);
    await until(it, got, isMarker('stopped'));
    ac.abort();
    assert.deepEqual(
      markers(got).map((m) => [m.text, m.copyIndex]),
      [['copy 0 (1.0.0) stopped (exit code 7)', 0]],
    );
  });

  it('a copy removed while followed: it left, once; the others go on', async () => {
    const engine = new FakeEngine();
    engine.addCopy({ id: 'a', index: 0, log: [msg(1, 'a1')] });
    engine.addCopy({ id: 'b', index: 1, log: [msg(2, 'b2')] });
    const ac = new AbortController();
    const it = followLogs(engine, { name: 'svc' }, { follow: true, windowMs: 10 }, ac.signal)[
      Symbol.asyncIterator
    ]();
    const got: LogEntry[] = [];
    await until(it, got, isLine('1:b2'));
    engine.destroy('b');
    await until(it, got, isMarker('left'));
    engine.appendLog('a', msg(3, 'a3'));
    await until(it, got, isLine('0:a3'));
    ac.abort();
    assert.deepEqual(lines(got), ['0:a1', '1:b2', '0:a3']);
    assert.deepEqual(
      markers(got).map((m) => m.text),
      ['copy 1 (1.0.0) was removed'],
    );
  });

  it('the engine goes away and comes back: says so both times, and follows on without repeating or losing a line', async () => {
    const engine = new FakeEngine();
    engine.addCopy({ id: 'a', index: 0, log: [msg(1, 'one')] });
    const ac = new AbortController();
    const it = followLogs(
      engine,
      { name: 'svc' },
      { follow: true, windowMs: 10, retryMs: 10 },
      ac.signal,
    )[Symbol.asyncIterator]();
    const got: LogEntry[] = [];
    await until(it, got, isLine('0:one'));
    engine.goAway();
    await until(it, got, isMarker('engine-lost'));
    // Written while the engine was away (it keeps the log), and after it came back.
    engine.containers.get('a')?.log?.push(msg(2, 'two'));
    engine.comeBack();
    // The marker is stamped now, the lines at their own (earlier) times: either may come first.
    await until(it, got, isLine('0:two'), isMarker('engine-back'), isMarker('resumed'));
    engine.appendLog('a', msg(3, 'three'));
    await until(it, got, isLine('0:three'));
    ac.abort();
    assert.deepEqual(lines(got), ['0:one', '0:two', '0:three']);
    const events = markers(got).map((m) => m.event);
    assert.ok(events.indexOf('engine-lost') < events.indexOf('engine-back'), events.join());
    assert.ok(events.includes('resumed'), events.join());
    const lost = markers(got).find((m) => m.event === 'engine-lost');
    const back = markers(got).find((m) => m.event === 'engine-back');
    assert.equal(
      lost?.text,
      'engine not reachable at unix:///fake.sock: waiting for it to come back',
    );
    assert.equal(back?.text, 'engine is back: following 1 of 1 copy again');
  });

  it('no engine when a followed tail starts: an error naming it, not a wait', async () => {
    const engine = new FakeEngine();
    engine.goAway();
    const follower = followLogs(engine, { name: 'svc' }, { follow: true, retryMs: 10 });
    await assert.rejects(
      (async () => {
        for await (const _ of follower) assert.fail('no entry expected');
      })(),
      (e: unknown) =>
        e instanceof EngineUnreachableError &&
        /not reachable at unix:\/\/\/fake\.sock/.test(e.message),
    );
  });

  it('without follow, a running copy is read until its log has been quiet for settleMs', async () => {
    const engine = new FakeEngine();
    engine.addCopy({
      id: 'a',
      index: 0,
      log: [msgAt(Date.now() - 2000, 'one'), msgAt(Date.now() - 1000, 'two')],
    });
    const entries: LogEntry[] = [];
    for await (const e of followLogs(engine, { name: 'svc' }, { settleMs: 50 })) entries.push(e);
    assert.deepEqual(texts(entries), ['0:one', '0:two']);
  });

  it('without follow, a line stamped after the tail was opened ends that log at once (no wait for the quiet)', async () => {
    const engine = new FakeEngine();
    engine.addCopy({
      id: 'a',
      index: 0,
      log: [msgAt(Date.now() - 1000, 'before'), msgAt(Date.now() + 60_000, 'after')],
    });
    const entries: LogEntry[] = [];
    // A settle this long would outlast the test's timeout.
    for await (const e of followLogs(engine, { name: 'svc' }, { settleMs: 60_000 }))
      entries.push(e);
    assert.deepEqual(texts(entries), ['0:before']);
  });
});

describe('logs: LogFormatter and --since', () => {
  const line = (copyIndex: number, version: string, text: string): LogEntry => ({
    kind: 'line',
    copyIndex,
    name: 'svc',
    version,
    containerId: 'c'.repeat(64),
    stream: 'stdout',
    timestamp: ts(1),
    text,
  });

  it('prefixes the copy index, adds the version once two versions take part, colours only when asked', () => {
    const plain = new LogFormatter({ color: false });
    assert.equal(plain.format(line(0, '1.0.0', 'hello')), '0 | hello');
    assert.equal(plain.format(line(1, '1.1.0', 'hi')), '1.1.0/1 | hi');
    assert.equal(plain.format(line(0, '1.0.0', '\x1b[31mred')), '1.0.0/0 | \x1b[31mred');
    const coloured = new LogFormatter({ color: true, timestamps: true });
    assert.equal(
      coloured.format(line(1, '1.0.0', '\x1b[31mred')),
      `\x1b[33m1 | \x1b[0m${ts(1)} \x1b[31mred\x1b[0m`,
    );
    assert.equal(
      new LogFormatter({ color: false, prefix: false }).format(line(3, '1.0.0', 'bare')),
      'bare',
    );
    assert.equal(
      plain.format({
        kind: 'marker',
        event: 'restarted',
        copyIndex: 0,
        timestamp: ts(1),
        text: 'copy 0 restarted',
      }),
      '-- copy 0 restarted',
    );
  });

  it('--since takes durations, times and epoch seconds', () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    assert.equal(sinceSeconds('90s', now), now / 1000 - 90);
    assert.equal(sinceSeconds('1h30m', now), now / 1000 - 5400);
    assert.equal(sinceSeconds('2026-11-25T11:00:00Z', now), now / 1000 - 3600);
    assert.equal(sinceSeconds('1764000000', now), 1764000000);
    assert.throws(() => sinceSeconds('yesterday', now));
  });
});
