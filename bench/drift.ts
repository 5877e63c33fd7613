// Drift (issue 11) against its floor, in the same run: 20 copies with a writable root
// (so that both sides list each copy's filesystem changes) printed once, then, interleaved:
//
// - floor: the raw engine API (dockerode) — list the copies by label, then inspect every
//   container and list its filesystem changes, all in parallel;
// - ours: checkDrift(), which also inspects the image (once per version), the keeper, and
//   compares every property.
//
// Target: ours ≤ 1.2× the floor (median).
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { printCopies } from '../src/core/copies/print';
import { checkDrift } from '../src/core/drift/drift';
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

const COPIES = 20;

export async function run(report: Report): Promise<void> {
  await ensureEngine(report.root);
  const runId = newRunId();
  const labels = { [BENCH_LABEL]: runId };
  const engine = engineClient();
  const docker = rawDocker();
  const tempDirs: string[] = [];
  const samples = report.options.samples ?? (report.options.quick ? 3 : 15);
  const name = `mc-bench-drift-${runId}`;
  try {
    const v = exampleVariant(report.root, name, tempDirs, (t) =>
      t
        .replace('readOnly: true', 'readOnly: false')
        .replace(/^gateway: .*$/m, '')
        .replace(/^copies: \d+$/m, `copies: ${COPIES}`),
    );
    await printCopies(engine, v.mc, v.folder, {
      copies: COPIES,
      env: {},
      readFile: (p) => readFile(p, 'utf8'),
      extraLabels: labels,
    });

    const floor = async () => {
      const list = await docker.listContainers({
        all: true,
        filters: { label: [`io.mastercopy.name=${name}`, 'io.mastercopy.copy'] },
      });
      await Promise.all(
        list.map(async (c) => {
          const container = docker.getContainer(c.Id);
          await Promise.all([container.inspect(), container.changes()]);
        }),
      );
      return list.length;
    };
    const ours = async () => {
      const drift = await checkDrift(engine, name);
      return drift.filter((d) => d.state === 'clean').length;
    };
    report.check('floor sees every copy', (await floor()) === COPIES);
    report.check('every freshly printed copy is clean', (await ours()) === COPIES);

    const times = { floor: [] as number[], ours: [] as number[] };
    for (let i = 0; i < samples; i++) {
      for (const [key, fn] of [
        ['floor', floor],
        ['ours', ours],
      ] as const) {
        const t0 = performance.now();
        await fn();
        times[key].push(performance.now() - t0);
      }
    }
    const f = summarize(times.floor);
    const o = summarize(times.ours);
    report.heading(`Drift of ${COPIES} copies (writable root), ${samples} samples each`);
    report.table(
      ['case', 'median ms', 'p90 ms', 'ratio (median)'],
      [
        ['raw API: list + inspect + changes, in parallel', fmtMs(f.median), fmtMs(f.p90), '1.0×'],
        [
          'mastercopy drift (checkDrift)',
          fmtMs(o.median),
          fmtMs(o.p90),
          fmtRatio(o.median / f.median),
        ],
      ],
    );
    report.value('drift_ratio', Number((o.median / f.median).toFixed(2)));
    report.line(`Target: ≤ 1.2× the floor. ${o.median / f.median <= 1.2 ? 'Met.' : 'Missed.'}`);
  } finally {
    await cleanup(docker, runId);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
}
