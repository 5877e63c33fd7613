// Log pipeline benchmark: a copy that wrote a large log (50 MB and 200 MB; --quick: 20
// and 50 MB) read to its end by `mastercopy logs ID > /dev/null` (our whole pipeline:
// engine stream, demultiplexer, line assembly, merge, formatting, writing), side by side
// with `docker logs ID > /dev/null`, in the same run, on the same finished container.
// Each side's wall time and peak RSS (VmHWM, polled from /proc) are reported; the line
// count through our core pipeline is checked. Then: how soon the first line shows after
// a tail is opened (in process, and the CLI from spawn to its first byte of output).
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngineClient } from '../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../src/core/engine/hostResolution';
import { LABEL_COPY, LABEL_NAME, LABEL_VERSION } from '../src/core/engine/labels';
import { followLogs } from '../src/core/logs/LogFollower';
import type { Report } from './lib/report';

const BENCH_LABEL = 'io.mastercopy.bench';
const LINE =
  'the quick brown fox jumps over the lazy dog; 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopq'; // 99 + "\n"
const MB = 1_000_000;

interface Measured {
  seconds: number;
  peakRssMb: number;
}

/** Runs a command with stdout to /dev/null; wall time and peak RSS of that process. */
function measure(cmd: string, args: string[], cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const devnull = openSync('/dev/null', 'w');
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', devnull, 'pipe'] });
    closeSync(devnull);
    let peakKb = 0;
    let stderr = '';
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    }, 20);
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ seconds, peakRssMb: peakKb / 1024 });
    });
  });
}

/** Spawn → first byte on stdout, in ms; the process is then ended. */
function firstOutput(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.stdout.once('data', () => {
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
      child.kill('SIGINT');
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code} before any output`)));
  });
}

/** Spawn → exit, in ms. */
function exitTime(cmd: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
  });
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs of each reader per log size, alternating. */
const ROUNDS = 3;

/** Median time, highest peak RSS. */
function summarize(runs: Measured[]): Measured {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
  };
}

export async function run(report: Report): Promise<void> {
  const engine: EngineClient = createEngineClient(
    resolveEngineHost(undefined, nodeHostResolutionDeps(process.env)),
  );
  await engine.ping();
  const runId = `logs-${Date.now().toString(36)}`;
  const labels = (name: string) => ({
    [BENCH_LABEL]: runId,
    [LABEL_NAME]: name,
    [LABEL_VERSION]: '1.0.0',
    [LABEL_COPY]: '0',
  });
  const created: string[] = [];
  const sizes = report.options.quick ? [20, 50] : [50, 200];
  const cli = join(report.root, 'dist/cli.js');
  try {
    report.heading(
      "Reading a finished copy's whole log: `mastercopy logs ID` vs `docker logs ID`, both > /dev/null",
    );
    const rows: (string | number)[][] = [];
    // Targets are readings, not checks (a missed target does not fail the run).
    const readings: string[] = [];
    for (const size of sizes) {
      const bytes = size * MB;
      const { id } = await engine.createAndStartContainer({
        image: 'busybox:stable',
        labels: labels(`bench-logs-${size}`),
        command: ['/bin/sh', '-c', `yes '${LINE}' | head -c ${bytes}`],
        network: 'none',
      });
      created.push(id);
      await waitUntil(
        `the ${size} MB log to be written`,
        async () => (await engine.inspectContainer(id))?.running === false,
        600_000,
      );
      const expectedLines = Math.ceil(bytes / (LINE.length + 1));

      // Correctness (and the core pipeline's own speed, in this process): every line, in order.
      const t0 = process.hrtime.bigint();
      let n = 0;
      let wrong = 0;
      for await (const batch of followLogs(engine, { containerId: id }).batches()) {
        for (const e of batch) {
          if (e.kind !== 'line') continue;
          n++;
          if (e.text !== LINE && n !== expectedLines) wrong++;
        }
      }
      const coreSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      report.check(
        `${size} MB: the core pipeline delivers all ${expectedLines} lines intact`,
        n === expectedLines && wrong === 0,
        `${n} lines, ${wrong} wrong`,
      );

      // Alternating pairs: the engine sets the pace and the machine's load drifts, so one
      // pair says little; the medians of a few alternating ones say more.
      const dockerRuns: Measured[] = [];
      const ourRuns: Measured[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        dockerRuns.push(await measure('docker', ['logs', id], report.root));
        ourRuns.push(await measure(process.execPath, [cli, 'logs', id], report.root));
      }
      const docker = summarize(dockerRuns);
      const ours = summarize(ourRuns);
      const each = (runs: Measured[]) => runs.map((r) => r.seconds.toFixed(2)).join(' / ');
      rows.push(
        [
          `${size} MB`,
          '`docker logs ID`',
          docker.seconds.toFixed(2),
          each(dockerRuns),
          (size / docker.seconds).toFixed(1),
          docker.peakRssMb.toFixed(0),
        ],
        [
          `${size} MB`,
          '`mastercopy logs ID`',
          ours.seconds.toFixed(2),
          each(ourRuns),
          (size / ours.seconds).toFixed(1),
          ours.peakRssMb.toFixed(0),
        ],
        [
          `${size} MB`,
          'core pipeline, in process, with timestamps (no output)',
          coreSeconds.toFixed(2),
          '',
          (size / coreSeconds).toFixed(1),
          '',
        ],
      );
      report.value(`docker_${size}mb_s`, docker.seconds);
      report.value(`ours_${size}mb_s`, ours.seconds);
      report.value(`docker_${size}mb_rss_mb`, docker.peakRssMb);
      report.value(`ours_${size}mb_rss_mb`, ours.peakRssMb);
      readings.push(
        `${size} MB: ours ${ours.seconds.toFixed(2)} s vs docker logs ${docker.seconds.toFixed(2)} s, ` +
          `medians of ${ROUNDS} (${(docker.seconds / ours.seconds).toFixed(2)}×; ` +
          `target ≥ 1× — ${ours.seconds <= docker.seconds ? 'met' : 'missed'})`,
      );
      await engine.stopAndRemoveContainer(id, { [BENCH_LABEL]: runId }, { stopTimeoutSeconds: 0 });
      created.splice(created.indexOf(id), 1);
    }
    report.table(['log', 'reader', 'median s', 'each run s', 'MB/s', 'peak RSS MB'], rows);
    const rss = sizes.map((s) =>
      Number(rows.find((r) => r[0] === `${s} MB` && String(r[1]).includes('mastercopy'))?.[5]),
    );
    readings.push(
      `our peak RSS: ${rss.join(' MB vs ')} MB for ${sizes.join(' vs ')} MB of log ` +
        `(target: flat — ${rss[1] <= rss[0] * 1.1 + 2 ? 'met' : 'missed'})`,
    );
    for (const r of readings) report.line(r);

    report.heading(
      'First line after opening a tail (a running copy with 5,000 lines, `--tail 1000 --follow`)',
    );
    const { id } = await engine.createAndStartContainer({
      image: 'busybox:stable',
      labels: labels('bench-logs-first'),
      command: [
        '/bin/sh',
        '-c',
        `yes '${LINE}' | head -n 5000; while true; do sleep 1; echo tick; done`,
      ],
      network: 'none',
      init: true,
    });
    created.push(id);
    await waitUntil(
      'the first lines',
      async () => (await engine.inspectContainer(id))?.running === true,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const inProcess: number[] = [];
    for (let i = 0; i < 10; i++) {
      const ac = new AbortController();
      const t0 = process.hrtime.bigint();
      const it = followLogs(engine, { containerId: id }, { follow: true, tail: 1000 }, ac.signal)[
        Symbol.asyncIterator
      ]();
      await it.next();
      inProcess.push(Number(process.hrtime.bigint() - t0) / 1e6);
      ac.abort();
    }
    // The CLI as a user meets it from the second call on: its code cache written by the
    // first (untimed) call. Then without the cache, and `docker logs` as the baseline.
    const tailArgs = ['--tail', '1000', '--follow'];
    await firstOutput(process.execPath, [cli, 'logs', id, ...tailArgs], report.root);
    const spawned: number[] = [];
    const cold: number[] = [];
    const dockerFirst: number[] = [];
    for (let i = 0; i < 7; i++) {
      spawned.push(
        await firstOutput(process.execPath, [cli, 'logs', id, ...tailArgs], report.root),
      );
      cold.push(
        await firstOutput(process.execPath, [cli, 'logs', id, ...tailArgs], report.root, {
          MASTERCOPY_CACHE_DIR: 'off',
        }),
      );
      dockerFirst.push(await firstOutput('docker', ['logs', id, ...tailArgs], report.root));
    }
    const nodeStart: number[] = [];
    for (let i = 0; i < 7; i++)
      nodeStart.push(await exitTime(process.execPath, ['-e', '0'], report.root));
    report.table(
      ['opened by', 'median ms', 'max ms'],
      [
        [
          'followLogs in process (engine request + first line)',
          median(inProcess).toFixed(1),
          Math.max(...inProcess).toFixed(1),
        ],
        [
          '`mastercopy logs` spawned (Node start-up included)',
          median(spawned).toFixed(0),
          Math.max(...spawned).toFixed(0),
        ],
        [
          '`mastercopy logs` spawned, no code cache (MASTERCOPY_CACHE_DIR=off)',
          median(cold).toFixed(0),
          Math.max(...cold).toFixed(0),
        ],
        [
          '`docker logs` spawned (baseline)',
          median(dockerFirst).toFixed(0),
          Math.max(...dockerFirst).toFixed(0),
        ],
        [
          '`node -e 0`, start to exit (what any Node program pays)',
          median(nodeStart).toFixed(0),
          Math.max(...nodeStart).toFixed(0),
        ],
      ],
    );
    report.value('first_line_cli_cold_ms', median(cold));
    report.value('first_line_docker_ms', median(dockerFirst));
    report.value('node_start_ms', median(nodeStart));
    report.value('first_line_in_process_ms', median(inProcess));
    report.value('first_line_cli_ms', median(spawned));
    report.line(
      `first line within 300 ms of opening a tail: in process ${median(inProcess).toFixed(0)} ms ` +
        `(${median(inProcess) <= 300 ? 'met' : 'missed'}), ` +
        `the CLI from spawn ${median(spawned).toFixed(0)} ms (${median(spawned) <= 300 ? 'met' : 'missed'})`,
    );
  } finally {
    for (const id of created)
      await engine
        .stopAndRemoveContainer(id, { [BENCH_LABEL]: runId }, { stopTimeoutSeconds: 0 })
        .catch(() => undefined);
  }
}
