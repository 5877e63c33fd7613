import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ContainerDetails, ContainerSummary, EngineClient, EngineEvent, LogOptions, LogStream } from '../../../src/core/engine/EngineClient';
import { LABEL_COPY, LABEL_MANAGED, LABEL_NAME, LABEL_VERSION, matchesLabels, type LabelFilter } from '../../../src/core/engine/labels';
import { LogFormatter } from '../../../src/core/logs/LogFormatter';
import { followLogs } from '../../../src/core/logs/LogFollower';
import type { LogEntry } from '../../../src/core/logs/types';
import { sinceSeconds } from '../../../src/cli/commands/logs';
import { message, ts } from './frames';

interface Msg {
  stream: 'stdout' | 'stderr';
  ts: string;
  text: string;
}
interface Box {
  id: string;
  labels: Record<string, string>;
  running: boolean;
  startedAt: string;
  log: Msg[];
  open: Set<PassThrough>;
}

/** Just enough of an engine for log tails: containers with a stored log, followed streams, start events. */
class LogEngine {
  readonly endpoint = { host: 'unix:///fake.sock', source: 'default' as const, dockerodeOptions: {} };
  readonly boxes = new Map<string, Box>();
  readonly requests: LogOptions[] = [];
  private readonly eventQueue: EngineEvent[] = [];
  private notify: (() => void) | undefined;

  add(id: string, index: number, log: Msg[], running = true): Box {
    const box = { id, labels: { [LABEL_MANAGED]: 'true', [LABEL_NAME]: 'svc', [LABEL_VERSION]: '1.0.0', [LABEL_COPY]: String(index) }, running, startedAt: 'run-1', log, open: new Set<PassThrough>() };
    this.boxes.set(id, box);
    return box;
  }
  append(id: string, msg: Msg): void {
    const box = this.boxes.get(id) as Box;
    box.log.push(msg);
    for (const s of box.open) s.write(message(msg.stream, msg.ts, `${msg.text}\n`));
  }
  stop(id: string): void {
    const box = this.boxes.get(id) as Box;
    box.running = false;
    for (const s of box.open) s.end();
    box.open.clear();
  }
  start(id: string, startedAt: string): void {
    const box = this.boxes.get(id) as Box;
    box.running = true;
    box.startedAt = startedAt;
    this.eventQueue.push({ type: 'container', action: 'start', id, attributes: box.labels, time: Date.now() });
    this.notify?.();
  }

  async ping(): Promise<void> {}
  async listContainers(filter: LabelFilter): Promise<ContainerSummary[]> {
    return [...this.boxes.values()]
      .filter((b) => matchesLabels(b.labels, filter))
      .map((b) => ({ id: b.id, name: b.id, image: 'x', imageId: 'x', status: b.running ? 'running' : 'exited', statusText: '', labels: b.labels, created: 0, ports: [] }));
  }
  async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
    const b = this.boxes.get(id);
    return b ? ({ id, running: b.running, startedAt: b.startedAt, exitCode: 0, labels: b.labels, tty: false } as ContainerDetails) : undefined;
  }
  async logs(id: string, options: LogOptions, signal: AbortSignal): Promise<LogStream> {
    this.requests.push(options);
    const box = this.boxes.get(id) as Box;
    const stream = new PassThrough();
    let msgs = box.log.filter((m) => options.since === undefined || Date.parse(m.ts) / 1000 >= options.since);
    if (options.tail !== undefined) msgs = msgs.slice(msgs.length - options.tail);
    for (const m of msgs) stream.write(message(m.stream, m.ts, `${m.text}\n`));
    if (box.running) box.open.add(stream);
    else stream.end();
    signal.addEventListener('abort', () => stream.destroy(), { once: true });
    return { stream, multiplexed: true };
  }
  async *events(_filter: unknown, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    while (!signal.aborted) {
      const e = this.eventQueue.shift();
      if (e) yield e;
      else await new Promise<void>((r) => {
        this.notify = r;
        signal.addEventListener('abort', () => r(), { once: true });
      });
    }
  }
}

const msg = (second: number, text: string, stream: 'stdout' | 'stderr' = 'stdout', nanos = 0): Msg => ({ stream, ts: ts(second, nanos), text });
const texts = (entries: LogEntry[]) => entries.map((e) => (e.kind === 'line' ? `${e.copyIndex}:${e.text}` : `-- ${e.event}`));

describe('logs: followLogs against a fake engine', () => {
  it('merges the copies of a master copy in timestamp order, each log read to its end', async () => {
    const engine = new LogEngine();
    engine.add('a', 0, [msg(1, 'a1'), msg(3, 'a3', 'stderr'), msg(5, 'a5')], false);
    engine.add('b', 1, [msg(2, 'b2'), msg(4, 'b4'), msg(6, 'b6')], false);
    const entries: LogEntry[] = [];
    for await (const e of followLogs(engine as unknown as EngineClient, { name: 'svc' })) entries.push(e);
    assert.deepEqual(texts(entries), ['0:a1', '1:b2', '0:a3', '1:b4', '0:a5', '1:b6']);
    const a3 = entries[2];
    assert.ok(a3.kind === 'line' && a3.stream === 'stderr' && a3.version === '1.0.0' && a3.timestamp === ts(3));
  });

  it('keeps memory bounded: a copy is paused while its lines wait for a slow consumer', async () => {
    const engine = new LogEngine();
    const log = Array.from({ length: 20_000 }, (_, i) => msg(1, `line ${i}`, 'stdout', i));
    engine.add('a', 0, log, false);
    const follower = followLogs(engine as unknown as EngineClient, { name: 'svc' }, { maxQueuedLines: 100, maxBatch: 10 });
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

  it('follows a copy across a restart: resumes from its last line, no line repeated or lost (equal timestamps too), and says so', async () => {
    const engine = new LogEngine();
    engine.add('a', 0, [msg(1, 'one'), msg(2, 'two'), msg(2, 'two again')]);
    const ac = new AbortController();
    const it = followLogs(engine as unknown as EngineClient, { name: 'svc' }, { follow: true, windowMs: 10 }, ac.signal)[Symbol.asyncIterator]();
    const got: LogEntry[] = [];
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as LogEntry);
    engine.stop('a');
    got.push((await it.next()).value as LogEntry);
    // Written as it starts again: in the same nanosecond as the last line, and later.
    engine.boxes.get('a')?.log.push(msg(2, 'two, third time'), msg(7, 'seven'));
    engine.start('a', 'run-2');
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as LogEntry);
    ac.abort();
    assert.deepEqual(texts(got), ['0:one', '0:two', '0:two again', '-- stopped', '-- restarted', '0:two, third time', '0:seven']);
    assert.equal(engine.requests[1].since, Math.floor(Date.parse(ts(2)) / 1000));
    assert.equal(engine.requests[1].tail, undefined);
    assert.equal((await it.next()).done, true);
  });

  it('--tail applies to each copy; a copy printed later joins with its whole log', async () => {
    const engine = new LogEngine();
    engine.add('a', 0, [msg(1, 'old'), msg(2, 'recent')]);
    const ac = new AbortController();
    const it = followLogs(engine as unknown as EngineClient, { name: 'svc', version: '1.0.0' }, { follow: true, tail: 1, windowMs: 10 }, ac.signal)[Symbol.asyncIterator]();
    const got: LogEntry[] = [(await it.next()).value as LogEntry];
    engine.add('b', 1, [msg(3, 'new copy first'), msg(4, 'new copy second')]);
    engine.start('b', 'run-1');
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as LogEntry);
    ac.abort();
    assert.deepEqual(texts(got), ['0:recent', '-- joined', '1:new copy first', '1:new copy second']);
  });
});

describe('logs: LogFormatter and --since', () => {
  const line = (copyIndex: number, version: string, text: string): LogEntry => ({ kind: 'line', copyIndex, name: 'svc', version, containerId: 'c'.repeat(64), stream: 'stdout', timestamp: ts(1), text });

  it('prefixes the copy index, adds the version once two versions take part, colours only when asked', () => {
    const plain = new LogFormatter({ color: false });
    assert.equal(plain.format(line(0, '1.0.0', 'hello')), '0 | hello');
    assert.equal(plain.format(line(1, '1.1.0', 'hi')), '1.1.0/1 | hi');
    assert.equal(plain.format(line(0, '1.0.0', '\x1b[31mred')), '1.0.0/0 | \x1b[31mred');
    const coloured = new LogFormatter({ color: true, timestamps: true });
    assert.equal(coloured.format(line(1, '1.0.0', '\x1b[31mred')), `\x1b[33m1 | \x1b[0m${ts(1)} \x1b[31mred\x1b[0m`);
    assert.equal(new LogFormatter({ color: false, prefix: false }).format(line(3, '1.0.0', 'bare')), 'bare');
    assert.equal(plain.format({ kind: 'marker', event: 'restarted', copyIndex: 0, timestamp: ts(1), text: 'copy 0 restarted' }), '-- copy 0 restarted');
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
