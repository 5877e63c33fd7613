// The keeper at work (issue 13), each figure beside its floor in one run:
//
// - floor: `printCopies()` of one copy with the health wait — what any new copy costs;
// - replacement: a copy of a promoted version is killed through the engine API; the time
//   until the keeper reports a fresh copy healthy and serving (desired count back);
// - scale up: an autoscaled version (min 1, max 2, 2 open connections per copy, cooldown
//   1 s) at rest gets 4 held connections through its endpoint; the time until a second
//   copy is healthy and serving. It includes the autoscaler's sampling (one sample a
//   second, three averaged), which is the point: it is the reaction a user sees;
// - scale down: the connections close; the time until one copy is left (a cooldown of low
//   readings, the drain, the dispose).
// A bounded load loop (node http, loopback, 2 at a time) runs through the endpoint the
// whole time: its failed requests are reported (target 0). Times are read by polling the
// keeper's status through the engine's exec (~0.1 s resolution).
import { readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { disposeCopies } from '../src/core/copies/dispose';
import { printCopies } from '../src/core/copies/print';
import { forgetLedger } from '../src/core/deploy/ledger';
import { nodeDeployEnvironment } from '../src/core/deploy/nodeDeployEnvironment';
import { promote } from '../src/core/deploy/promote';
import type { EngineClient } from '../src/core/engine/EngineClient';
import { findKeeper, keeperControl, type KeeperReport } from '../src/core/keeper/keeperContainer';
import { holdConnections, loadLoop, type LoadResult } from '../test/support/load';
import type { Report } from './lib/report';
import { fmtMs, fmtRatio, summarize } from './lib/stats';
import {
  BENCH_LABEL,
  cleanup,
  engineClient,
  ensureEngine,
  exampleVariant,
  newRunId,
  rawDocker,
} from './print';

const FAST_HEALTH =
  'health:\n  http: { port: 8080, path: /health }\n  interval: 250ms\n  timeout: 1s\n  retries: 2\n  startPeriod: 1s\n';

async function status(engine: EngineClient, name: string): Promise<KeeperReport> {
  const keeper = await findKeeper(engine, name);
  if (!keeper) throw new Error(`bench: ${name} has no keeper`);
  return keeperControl(engine, keeper.id, ['status']);
}

/** Polls the keeper until `done` holds; the time from `t0`. */
async function timeUntil(
  what: string,
  engine: EngineClient,
  name: string,
  t0: number,
  done: (s: KeeperReport) => boolean,
  ms = 60_000,
): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await status(engine, name).catch(() => undefined);
    if (s && done(s)) return performance.now() - t0;
    if (Date.now() > deadline)
      throw new Error(`bench: ${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const serving = (s: KeeperReport) => s.copies.filter((c) => c.version === s.active && c.healthy);

export async function run(report: Report): Promise<void> {
  const root = report.root;
  await ensureEngine(root);
  const runId = newRunId();
  const labels = { [BENCH_LABEL]: runId };
  const engine = engineClient();
  const docker = rawDocker();
  const tempDirs: string[] = [];
  const samples = report.options.samples ?? (report.options.quick ? 1 : 4);
  const base = `mc-bench-herd-${runId}`;
  const port = 29_000 + (process.pid % 1000);
  const deploy = nodeDeployEnvironment(
    engine,
    process.env,
    { scriptPath: join(root, 'dist', 'keeper.js') },
    labels,
  );
  const edit = (extra: string, p: number) => (t: string) =>
    t
      .replace(/^health:\n(  .*\n)+/m, FAST_HEALTH)
      .replace(/^copies: 2$/m, `copies: ${extra ? 1 : 2}\n${extra}`)
      .replace(/^gateway: .*$/m, `gateway: { port: ${p}, target: 8080 }`);
  const floor = exampleVariant(root, `${base}-print`, tempDirs, edit('', port + 2));
  const healed = exampleVariant(root, `${base}-heal`, tempDirs, edit('', port));
  const scaled = exampleVariant(
    root,
    `${base}-scale`,
    tempDirs,
    edit('autoscale: { min: 1, max: 2, inflight: 2, cooldown: 1s }\n', port + 1),
  );
  const names = [floor.mc.name, healed.mc.name, scaled.mc.name];
  const loads: { what: string; result: Promise<LoadResult>; stop: () => void }[] = [];
  try {
    const printMs: number[] = [];
    const replaceMs: number[] = [];
    const upMs: number[] = [];
    const downMs: number[] = [];
    // Warm: the image built, the keeper image built.
    await printCopies(engine, floor.mc, floor.folder, {
      copies: 1,
      env: {},
      readFile: (p) => readFile(p, 'utf8'),
      extraLabels: labels,
    });
    await disposeCopies(engine, { name: floor.mc.name, all: true }, { stopTimeoutSeconds: 1 });
    await promote(engine, { kind: 'file', ...healed }, deploy, {});
    await promote(engine, { kind: 'file', ...scaled }, deploy, {});
    const healLoad = loadLoop(port, {
      total: 1_000_000,
      parallel: 2,
      deadlineMs: 600_000,
      path: '/',
    });
    loads.push({ what: 'replacement', result: healLoad.done, stop: healLoad.stop });
    const scaleLoad = loadLoop(port + 1, {
      total: 1_000_000,
      parallel: 1,
      deadlineMs: 600_000,
      path: '/',
    });
    loads.push({ what: 'scale up and down', result: scaleLoad.done, stop: scaleLoad.stop });

    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await printCopies(engine, floor.mc, floor.folder, {
        copies: 1,
        env: {},
        readFile: (p) => readFile(p, 'utf8'),
        extraLabels: labels,
      });
      printMs.push(performance.now() - t0);
      await disposeCopies(engine, { name: floor.mc.name, all: true }, { stopTimeoutSeconds: 1 });

      // Replacement: kill one of the two, wait for a fresh one to serve.
      const before = await status(engine, healed.mc.name);
      const victim = serving(before)[0];
      const t1 = performance.now();
      await docker.getContainer(victim.id).kill();
      replaceMs.push(
        await timeUntil(
          'a replacement',
          engine,
          healed.mc.name,
          t1,
          (s) => serving(s).length === 2 && !serving(s).some((c) => c.id === victim.id),
        ),
      );

      // Scale up from rest (a cooldown after the last decision has passed), then down.
      await timeUntil(
        'the autoscaled version at rest on 1 copy',
        engine,
        scaled.mc.name,
        performance.now(),
        (s) =>
          serving(s).length === 1 &&
          s.copies.filter((c) => c.version === s.active).length === 1 &&
          !s.autoscale?.waiting,
      );
      await new Promise((r) => setTimeout(r, 1500));
      const t2 = performance.now();
      const held = await holdConnections(port + 1, 4);
      upMs.push(
        await timeUntil('a scale up', engine, scaled.mc.name, t2, (s) => serving(s).length === 2),
      );
      const t3 = performance.now();
      for (const s of held) s.destroy();
      downMs.push(
        await timeUntil(
          'a scale down',
          engine,
          scaled.mc.name,
          t3,
          (s) => s.copies.filter((c) => c.version === s.active).length === 1,
        ),
      );
    }
    for (const l of loads) l.stop();
    const [healResult, scaleResult] = await Promise.all(loads.map((l) => l.result));

    const p = summarize(printMs);
    const row = (label: string, xs: number[]) => {
      const s = summarize(xs);
      return [label, fmtMs(s.median), fmtMs(s.p90), fmtRatio(s.median / p.median)];
    };
    report.heading(
      `The keeper's reaction times (${samples} samples each), against printing one copy with the health wait`,
    );
    report.table(
      ['case', 'median ms', 'p90 ms', 'ratio to print (median)'],
      [
        ['print 1 copy + health wait (the floor)', fmtMs(p.median), fmtMs(p.p90), '1×'],
        row('a killed copy → its replacement serving', replaceMs),
        row('load starts → a new copy serving (autoscale, cooldown 1 s)', upMs),
        row('load stops → scaled back down to min', downMs),
      ],
    );
    report.table(
      ['load through the endpoint (node http, loopback)', 'answered', 'failed'],
      [
        ['during replacements', healResult.ok, healResult.failed],
        ['during scale up and scale down', scaleResult.ok, scaleResult.failed],
      ],
    );
    report.value('replacement_vs_print', summarize(replaceMs).median / p.median);
    report.value('scale_up_vs_print', summarize(upMs).median / p.median);
    report.check(
      'no request failed during replacements',
      healResult.failed === 0,
      healResult.errors.join('; '),
    );
    report.check(
      'no request failed while scaling',
      scaleResult.failed === 0,
      scaleResult.errors.join('; '),
    );
  } finally {
    for (const l of loads) l.stop();
    for (const name of names) {
      await disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 }).catch(
        () => undefined,
      );
      await forgetLedger(engine, name).catch(() => undefined);
    }
    await cleanup(docker, runId);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}
