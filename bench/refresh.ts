// Copies view refresh benchmark, without VS Code: how long after an engine event the
// Copies tree's model holds the new state.
//
// RefreshManager and CopiesModel import `vscode`, so what they do is put together here
// from the same parts: the engine client's container events (labels {}, types container),
// RefreshManager's debounce (DEFAULT_REFRESH_TIMINGS) reset by every event, then
// CopiesModel's CoalescingRunner around listCopies with the options CopiesModel uses
// ({ probe: nodeHttpProbe, probeTimeoutMs: 800 }).
//
// A copy of the example (with its health.http, as users print it) is stopped and started
// again through the engine API; for each change the time is taken from the moment that
// API call returned — and from the engine's own time of the last event it caused — to
// the moment a finished refresh's copies show the copy in its new state.
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { nodeHttpProbe } from '../src/core/copies/health';
import { printCopies } from '../src/core/copies/print';
import { listCopies, type CopyRecord } from '../src/core/copies/ps';
import { CoalescingRunner } from '../src/core/util/coalescingRunner';
import type { EngineClient } from '../src/core/engine/EngineClient';
import type { Report } from './lib/report';
import { DEFAULT_REFRESH_TIMINGS } from '../src/vscode/tree/refreshTimings';
import { fmtMs, summarize } from './lib/stats';
import {
  BENCH_LABEL,
  engineClient,
  ensureEngine,
  exampleVariant,
  newRunId,
  rawDocker,
  cleanup,
  sleep,
} from './print';

/** RefreshManager's default. */
const DEBOUNCE_MS = DEFAULT_REFRESH_TIMINGS.debounceMs;
/** CopiesModel's listCopies options. */
const LIST_OPTIONS = { probe: nodeHttpProbe, probeTimeoutMs: 800 };

interface Refresh {
  started: number;
  ended: number;
  copies: CopyRecord[];
}

/** CopiesModel.refresh/load and RefreshManager.schedule/follow, without vscode. */
class Follower {
  /** The same coalescing as CopiesModel.refresh. */
  private readonly refresher = new CoalescingRunner(() => this.load());
  private debounce?: NodeJS.Timeout;
  private readonly stop = new AbortController();
  readonly refreshes: Refresh[] = [];
  /** Events seen: when they arrived here (performance.now) and the engine's time (ms since the epoch). */
  readonly events: { arrived: number; time: number; action: string; id: string }[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    private readonly engine: EngineClient,
    private readonly debounceMs: number,
  ) {}

  start(): void {
    void this.follow();
  }

  dispose(): void {
    this.stop.abort();
    clearTimeout(this.debounce);
  }

  get busy(): boolean {
    return this.refresher.running || this.debounce !== undefined;
  }

  /** Resolves after the next refresh ends. */
  nextRefresh(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private refresh(): Promise<void> {
    return this.refresher.run();
  }

  private async load(): Promise<void> {
    const started = performance.now();
    const copies = await listCopies(this.engine, LIST_OPTIONS);
    this.refreshes.push({ started, ended: performance.now(), copies });
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.refresh();
    }, this.debounceMs);
  }

  private async follow(): Promise<void> {
    try {
      for await (const ev of this.engine.events(
        { labels: {}, types: ['container'] },
        this.stop.signal,
      )) {
        this.events.push({
          arrived: performance.now(),
          time: ev.time,
          action: ev.action,
          id: ev.id,
        });
        this.schedule();
      }
    } catch (e) {
      if (!this.stop.signal.aborted) console.error(`bench: event stream: ${(e as Error).message}`);
    }
  }
}

interface Change {
  /** The API call that caused it returned (performance.now). */
  returned: number;
  /** Ms from that to a finished refresh showing the new state. */
  fromCall: number;
  /** Ms from the engine's time of the last event the change caused (die/stop, or start). */
  fromEvent: number;
  /** Ms from the last event of the change arriving here to the showing refresh starting (the debounce, mostly). */
  debounceWait: number;
  /** Ms the showing refresh's listCopies took. */
  listMs: number;
  /** Ms from the call returning to the last event of the change arriving here (negative: before). */
  lastEventAfterCall: number;
  events: number;
}

async function measureChanges(
  engine: EngineClient,
  copyId: string,
  changes: number,
  debounceMs: number,
  problems: string[],
): Promise<Change[]> {
  const docker = rawDocker();
  const follower = new Follower(engine, debounceMs);
  follower.start();
  await sleep(500); // the event stream is connected
  const out: Change[] = [];
  try {
    for (let k = 0; k < changes; k++) {
      // Quiet first: no refresh pending from the previous change.
      while (follower.busy) await sleep(20);
      await sleep(250);
      const stopping = k % 2 === 0;
      const want = stopping ? 'exited' : 'running';
      const eventsBefore = follower.events.length;
      const refreshesBefore = follower.refreshes.length;
      const container = docker.getContainer(copyId);
      if (stopping) await container.stop({ t: 2 });
      else await container.start();
      const returned = performance.now();
      const deadline = returned + 10_000;
      let shown: Refresh | undefined;
      while (!shown && performance.now() < deadline) {
        shown = follower.refreshes
          .slice(refreshesBefore)
          .find(
            (r) => r.ended >= returned && r.copies.find((c) => c.id === copyId)?.state === want,
          );
        if (!shown)
          await Promise.race([
            follower.nextRefresh(),
            sleep(Math.max(0, deadline - performance.now())),
          ]);
      }
      if (!shown) {
        problems.push(`change ${k} (${want}): no refresh showed it within 10 s`);
        continue;
      }
      const evs = follower.events
        .slice(eventsBefore)
        .filter((e) => e.id === copyId && e.arrived <= shown.started);
      if (!evs.length) {
        problems.push(
          `change ${k} (${want}): no event of the copy before the refresh that showed it`,
        );
        continue;
      }
      const last = evs[evs.length - 1];
      const shownEpoch = performance.timeOrigin + shown.ended;
      out.push({
        returned,
        fromCall: shown.ended - returned,
        fromEvent: shownEpoch - last.time,
        debounceWait: shown.started - last.arrived,
        listMs: shown.ended - shown.started,
        lastEventAfterCall: last.arrived - returned,
        events: evs.length,
      });
    }
  } finally {
    follower.dispose();
  }
  return out;
}

export async function run(report: Report): Promise<void> {
  const changes = report.options.samples ?? (report.options.quick ? 6 : 20);
  const listSamples = report.options.quick ? 5 : 20;
  const runId = newRunId();
  const runLabels = { [BENCH_LABEL]: runId };
  const tempDirs: string[] = [];
  await ensureEngine(report.root);
  const docker = rawDocker();
  const engine = engineClient();
  try {
    const v = exampleVariant(report.root, `mcr-${runId}`, tempDirs);
    const printOptions = {
      env: {},
      readFile: (p: string) => readFile(p, 'utf8'),
      extraLabels: runLabels,
    };
    report.heading('Copies view refresh: engine event → debounce → listCopies');

    // --- listCopies alone at 0, 10, 20 copies of ours ---
    const listRows: (string | number)[][] = [];
    const listAt = async (ours: number) => {
      await listCopies(engine, LIST_OPTIONS); // warm
      const ms: number[] = [];
      let total = 0;
      for (let i = 0; i < listSamples; i++) {
        const t = performance.now();
        const copies = await listCopies(engine, LIST_OPTIONS);
        ms.push(performance.now() - t);
        total = copies.length;
        const mine = copies.filter((c) => c.name === v.mc.name);
        if (mine.length !== ours)
          throw new Error(
            `bench: listCopies showed ${mine.length} of this run's copies, expected ${ours}`,
          );
        if (mine.some((c) => c.health !== 'healthy'))
          throw new Error('bench: a copy of this run was not healthy in listCopies');
      }
      const s = summarize(ms);
      listRows.push([String(ours), String(total), fmtMs(s.median), fmtMs(s.p90), fmtMs(s.min)]);
      report.value(`list.${ours}.median`, s.median);
      return s;
    };
    await listAt(0);
    const printed = await printCopies(engine, v.mc, v.folder, { ...printOptions, copies: 10 });
    if (printed.unhealthy.length) throw new Error('bench: printed copies are unhealthy');
    await listAt(10);
    const more = await printCopies(engine, v.mc, v.folder, { ...printOptions, copies: 10 });
    if (more.unhealthy.length) throw new Error('bench: printed copies are unhealthy');
    await listAt(20);
    report.line(
      'listCopies alone (as CopiesModel calls it: { probe: nodeHttpProbe, probeTimeoutMs: 800 }, ' +
        `so each running copy with health.http is probed once over HTTP), ${listSamples} samples each:`,
    );
    report.table(
      ['copies of this run', 'copies listed (all on the engine)', 'median ms', 'p90 ms', 'min ms'],
      listRows,
    );

    // --- refresh latency after a change ---
    const problems: string[] = [];
    const target = printed.copies[0].id;
    const scenarios: { label: string; debounce: number; copies: number }[] = [
      {
        label: `20 copies, debounce ${DEBOUNCE_MS} ms (as shipped)`,
        debounce: DEBOUNCE_MS,
        copies: 20,
      },
    ];
    const results: { label: string; r: Change[] }[] = [];
    results.push({
      label: scenarios[0].label,
      r: await measureChanges(engine, target, changes, DEBOUNCE_MS, problems),
    });
    // The knob: the same with no debounce (each event schedules a refresh at once; bursts still coalesce in flight).
    results.push({
      label: '20 copies, debounce 0 ms (the knob; not shipped)',
      r: await measureChanges(engine, target, changes, 0, problems),
    });
    // With a single copy of ours.
    await Promise.all(
      printed.copies
        .slice(1)
        .concat(more.copies)
        .map((c) => docker.getContainer(c.id).remove({ force: true })),
    );
    results.push({
      label: `1 copy, debounce ${DEBOUNCE_MS} ms (as shipped)`,
      r: await measureChanges(engine, target, changes, DEBOUNCE_MS, problems),
    });
    report.check(
      'every stop/start was shown by a refresh within 10 s, after events of that copy',
      problems.length === 0,
      problems.slice(0, 5).join(' | '),
    );

    const rows = results.map(({ label, r }) => {
      const call = summarize(r.map((c) => c.fromCall));
      const ev = summarize(r.map((c) => c.fromEvent));
      const deb = summarize(r.map((c) => c.debounceWait));
      const list = summarize(r.map((c) => c.listMs));
      const verdict = `< 200 ms — ${call.p90 < 200 ? 'met (p90)' : call.median < 200 ? 'met at the median, not at p90' : 'NOT met'}`;
      return [
        label,
        String(r.length),
        fmtMs(call.median),
        fmtMs(call.p90),
        fmtMs(ev.median),
        fmtMs(ev.p90),
        fmtMs(deb.median),
        fmtMs(list.median),
        verdict,
      ];
    });
    report.line(
      'Refresh latency: a copy of the example stopped (docker stop, t=2: kill, die, stop events) ' +
        `and started (start event) again through the engine API, ${changes} changes per row, alternating; ` +
        'times until a finished refresh shows the new state. ' +
        'Other copies on the engine are listed (and probed) too.',
    );
    report.table(
      [
        'case',
        'changes',
        'from API call returned: median ms',
        'p90 ms',
        'from the engine time of its last event: median ms',
        'p90 ms',
        'of which debounce wait: median ms',
        'of which listCopies: median ms',
        'target',
      ],
      rows,
    );
    const shipped = results[0].r;
    const lastAfter = summarize(shipped.map((c) => c.lastEventAfterCall));
    const eventsPerChange = [...new Set(shipped.map((c) => c.events))].sort();
    report.line(
      `Last event of a change arrived (median) ${fmtMs(lastAfter.median)} ms after the API call returned ` +
        `(negative: before); events per change: ${eventsPerChange.join(', ')}.`,
    );
    for (const [i, { r }] of results.entries()) {
      report.value(`refresh.${i}.fromCall.median`, summarize(r.map((c) => c.fromCall)).median);
      report.value(`refresh.${i}.fromCall.p90`, summarize(r.map((c) => c.fromCall)).p90);
      report.value(`refresh.${i}.fromEvent.median`, summarize(r.map((c) => c.fromEvent)).median);
    }
  } finally {
    await cleanup(docker, runId);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
}
