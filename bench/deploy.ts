// Deploy benchmark, each figure side by side in one run:
//
// 1. promote — `promote()` of 3 copies from one built version to another (blue has 3
//    copies, nothing connected, so the drain ends at once; its time is reported and taken
//    out anyway), against what a promote cannot avoid: `printCopies()` of 3 copies with
//    the health wait. Samples alternate between the two, and the promotes alternate
//    between two versions (A→B, B→A), both already built.
// 2. endpoint — requests per second and p50/p99 latency of HTTP GETs through the keeper's
//    endpoint, against (a) one copy straight through its published port and (b) HAProxy
//    (Debian's package, TCP mode, leastconn) in front of the same 3 copies' published
//    ports, all with the same load generator (wrk, bounded in time, loopback only). The
//    copies run without the example's CPU limit here, so that they are not what is measured.
//    Rounds alternate the three targets.
//
// Everything carries io.mastercopy.bench-run=<run id> and is removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { disposeCopies } from '../src/core/copies/dispose';
import { printCopies } from '../src/core/copies/print';
import { forgetLedger } from '../src/core/deploy/ledger';
import { nodeDeployEnvironment } from '../src/core/deploy/nodeDeployEnvironment';
import { promote, type PromotePhase } from '../src/core/deploy/promote';
import { findKeeper, keeperControl } from '../src/core/keeper/keeperContainer';
import type { Report } from './lib/report';
import { fmtMs, fmtRatio, quantile, summarize } from './lib/stats';
import {
  BENCH_LABEL,
  cleanup,
  engineClient,
  ensureEngine,
  exampleVariant,
  exec,
  newRunId,
  rawDocker,
} from './print';

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Socket errors, timeouts and answers other than 2xx/3xx. */
  errors: number;
}

/** One wrk run (C, Debian's package): fixed connections, bounded in time, one loopback URL. */
async function wrk(port: number, seconds: number): Promise<LoadResult> {
  const out = await exec(
    'wrk',
    [
      '-t',
      '2',
      '-c',
      '8',
      '-d',
      `${seconds}s`,
      '--timeout',
      '5s',
      '--latency',
      `http://127.0.0.1:${port}/`,
    ],
    { timeout: (seconds + 30) * 1000 },
  );
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`bench: no ${label}% latency in wrk's output:\n${out}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'];
  };
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1]);
  const requests = Number(/^\s*(\d+) requests in/m.exec(out)?.[1]);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = non2xx + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { rps, p50: ms('50'), p99: ms('99'), requests, errors };
}

/**
 * The same load from a node client: `parallel` loops of one GET per connection (busybox
 * httpd closes each), for `seconds`, each request timed from its connect to the end of its
 * body. wrk's latency figures through the keeper do not add up (at one connection their sum
 * is many times the run's length), so latencies are read here; wrk gives the throughput.
 */
async function nodeLoad(port: number, seconds: number, parallel = 8): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      let head = '';
      let body = 0;
      let length = -1;
      let done = false;
      const end = (ok: boolean) => {
        if (done) return;
        done = true;
        if (ok) latencies.push(performance.now() - t0);
        else errors++;
        s.destroy();
        resolve();
      };
      const s = createConnection({ port, host: '127.0.0.1' }, () =>
        s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'),
      );
      s.setTimeout(5000, () => end(false));
      s.on('data', (chunk: Buffer) => {
        if (length < 0) {
          head += chunk.toString('latin1');
          const at = head.indexOf('\r\n\r\n');
          if (at < 0) return;
          if (!/^HTTP\/1\.[01] 200 /.test(head)) return end(false);
          length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          body = head.length - at - 4;
        } else body += chunk.length;
        if (body >= length) end(true);
      });
      s.on('end', () => end(length >= 0 && body >= length));
      s.on('error', () => end(false));
    }).then(() => (performance.now() < deadline ? one() : undefined));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, one));
  const s = summarize(latencies);
  return {
    rps: latencies.length / ((performance.now() - t0) / 1000),
    p50: s.median,
    p99: quantile(
      [...latencies].sort((a, b) => a - b),
      0.99,
    ),
    requests: latencies.length,
    errors,
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function run(report: Report): Promise<void> {
  const root = report.root;
  await ensureEngine(root);
  await exec('bash', ['scripts/setup-bench.sh'], { cwd: root, timeout: 300_000 });
  const runId = newRunId();
  const labels = { [BENCH_LABEL]: runId };
  const engine = engineClient();
  const docker = rawDocker();
  const tempDirs: string[] = [];
  const name = `mc-bench-deploy-${runId}`;
  const gatewayPort = 28_000 + (process.pid % 1000);
  const haproxyPort = gatewayPort + 1;
  const deploy = nodeDeployEnvironment(
    engine,
    process.env,
    { scriptPath: join(root, 'dist', 'keeper.js') },
    labels,
  );
  const version = (v: string) => (t: string) =>
    t
      .replace(/^version: "1.0.0"$/m, `version: "${v}"`)
      .replace(/^  cpus: 0.5\n/m, '')
      .replace(/^copies: 2$/m, 'copies: 3')
      .replace(/^gateway: .*$/m, `gateway: { port: ${gatewayPort}, target: 8080 }`);
  const a = exampleVariant(root, name, tempDirs, version('1.0.0'));
  const b = exampleVariant(root, name, tempDirs, version('1.1.0'));
  const printed = exampleVariant(root, `${name}-print`, tempDirs, version('1.0.0'));
  const printOptions = {
    copies: 3,
    env: {},
    readFile: (p: string) => readFile(p, 'utf8'),
    extraLabels: labels,
  };
  let haproxy: ChildProcess | undefined;
  try {
    // Warm up: both versions built, the keeper image built, blue (A) serving.
    await promote(engine, { kind: 'file', ...b }, deploy, {});
    await promote(engine, { kind: 'file', ...a }, deploy, {});
    await printCopies(engine, printed.mc, printed.folder, printOptions);
    await disposeCopies(engine, { name: printed.mc.name, all: true }, { stopTimeoutSeconds: 1 });

    // 1. promote against print + health
    const samples = report.options.samples ?? (report.options.quick ? 2 : 6);
    const promoteMs: number[] = [];
    const promoteNoDrainMs: number[] = [];
    const drainMs: number[] = [];
    const printMs: number[] = [];
    const phaseMs = new Map<string, number[]>();
    let next = b;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await printCopies(engine, printed.mc, printed.folder, printOptions);
      printMs.push(performance.now() - t0);
      await disposeCopies(engine, { name: printed.mc.name, all: true }, { stopTimeoutSeconds: 1 });

      const marks = new Map<PromotePhase, number>();
      const t1 = performance.now();
      const result = await promote(engine, { kind: 'file', ...next }, deploy, {
        onProgress: (e) => e.kind === 'phase' && marks.set(e.phase, performance.now()),
      });
      const total = performance.now() - t1;
      if (result.status !== 'promoted') throw new Error(`bench: promote said ${result.status}`);
      const end = performance.now();
      const drain = marks.has('drain')
        ? (marks.get('dispose') ?? end) - (marks.get('drain') ?? 0)
        : 0;
      // Each phase lasts until the next one starts; what comes before the first is the lock and the ledger.
      const seen = [...marks.entries()];
      phaseMs.set('lock + ledger', [...(phaseMs.get('lock + ledger') ?? []), seen[0][1] - t1]);
      seen.forEach(([phase, at], k) =>
        phaseMs.set(phase, [...(phaseMs.get(phase) ?? []), (seen[k + 1]?.[1] ?? end) - at]),
      );
      promoteMs.push(total);
      drainMs.push(drain);
      promoteNoDrainMs.push(total - drain);
      next = next === b ? a : b;
    }
    const p = summarize(printMs);
    const q = summarize(promoteNoDrainMs);
    const all = summarize(promoteMs);
    const d = summarize(drainMs);
    report.heading('Promote of 3 copies against printing 3 copies with the health wait');
    report.table(
      ['case', 'median ms', 'p90 ms', 'ratio to print (median)', 'target'],
      [
        ['print 3 copies + health wait (baseline)', fmtMs(p.median), fmtMs(p.p90), '1×', ''],
        [
          'promote 3 copies, drain excluded',
          fmtMs(q.median),
          fmtMs(q.p90),
          fmtRatio(q.median / p.median),
          `≤1.3× — ${q.median / p.median <= 1.3 ? 'met' : 'missed'}`,
        ],
        [
          'promote 3 copies, whole',
          fmtMs(all.median),
          fmtMs(all.p90),
          fmtRatio(all.median / p.median),
          '',
        ],
        ['  of which: drain', fmtMs(d.median), fmtMs(d.p90), '', ''],
      ],
    );
    report.line('Where a promote spends its time (median of each phase, ms):');
    report.table(
      ['phase', 'median ms', 'p90 ms'],
      [...phaseMs.entries()].map(([phase, xs]) => [
        phase,
        fmtMs(summarize(xs).median),
        fmtMs(summarize(xs).p90),
      ]),
    );
    report.value('promote_vs_print', q.median / p.median);
    report.check('every promote went through', promoteMs.length === samples);

    // 2. the endpoint against one copy and HAProxy
    const keeper = await findKeeper(engine, name);
    if (!keeper) throw new Error('bench: no keeper');
    const containers = await docker.listContainers({
      filters: { label: [`io.mastercopy.name=${name}`, 'io.mastercopy.copy'] },
    });
    const copyPorts = containers
      .map((c) => c.Ports.find((x) => x.PrivatePort === 8080 && x.PublicPort)?.PublicPort)
      .filter((x): x is number => x !== undefined);
    if (copyPorts.length !== 3)
      throw new Error(`bench: expected 3 copies with a published port, found ${copyPorts.length}`);
    const cfgDir = mkdtempSync(join(tmpdir(), 'mc-bench-haproxy-'));
    tempDirs.push(cfgDir);
    const cfg = join(cfgDir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 4096',
        'defaults',
        '  mode tcp',
        '  timeout connect 3s',
        '  timeout client 30s',
        '  timeout server 30s',
        'frontend fe',
        `  bind 127.0.0.1:${haproxyPort}`,
        '  default_backend be',
        'backend be',
        '  balance leastconn',
        ...copyPorts.map((port, i) => `  server c${i} 127.0.0.1:${port}`),
        '',
      ].join('\n'),
    );
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    await until('HAProxy to listen', () => answers(haproxyPort));

    const seconds = report.options.quick ? 2 : 5;
    const rounds = report.options.quick ? 1 : 3;
    const targets = [
      { label: 'one copy, directly (its published port)', port: copyPorts[0] },
      { label: 'HAProxy 2.6 (TCP, leastconn) → 3 copies', port: haproxyPort },
      { label: 'keeper endpoint → 3 copies', port: gatewayPort },
    ];
    const results = new Map<string, LoadResult[]>(targets.map((t) => [t.label, []]));
    const timed = new Map<string, LoadResult[]>(targets.map((t) => [t.label, []]));
    let failedWithNode = 0;
    for (const t of targets) await wrk(t.port, 1); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 ? [...targets].reverse() : targets) {
        results.get(t.label)!.push(await wrk(t.port, seconds));
        const before =
          t.port === gatewayPort
            ? (await keeperControl(engine, keeper.id, ['status'])).totals.failed
            : 0;
        timed.get(t.label)!.push(await nodeLoad(t.port, seconds));
        if (t.port === gatewayPort)
          failedWithNode +=
            (await keeperControl(engine, keeper.id, ['status'])).totals.failed - before;
      }
    }
    const med = (xs: number[]) => summarize(xs).median;
    const rows = targets.map((t) => {
      const rs = results.get(t.label)!;
      return {
        label: t.label,
        rps: med(rs.map((x) => x.rps)),
        p50: med(rs.map((x) => x.p50)),
        p99: med(rs.map((x) => x.p99)),
        errors: rs.reduce((sum, x) => sum + x.errors, 0),
        total: rs.reduce((sum, x) => sum + x.requests, 0),
      };
    });
    const timedRows = targets.map((t) => {
      const rs = timed.get(t.label)!;
      return [
        t.label,
        med(rs.map((x) => x.rps)).toFixed(0),
        med(rs.map((x) => x.p50)).toFixed(2),
        med(rs.map((x) => x.p99)).toFixed(2),
        rs.reduce((sum, x) => sum + x.requests, 0),
        rs.reduce((sum, x) => sum + x.errors, 0),
      ];
    });
    const [direct, peer, ours] = rows;
    report.heading(
      `The endpoint's throughput and latency (wrk, 2 threads, 8 connections, ${rounds} × ${seconds} s per target, medians)`,
    );
    report.table(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors'],
      rows.map((x) => [
        x.label,
        x.rps.toFixed(0),
        x.p50.toFixed(2),
        x.p99.toFixed(2),
        x.total,
        x.errors,
      ]),
    );
    report.heading(
      `Latency from a node client (8 loops of one GET per connection, connect to last byte, ${rounds} × ${seconds} s per target, medians)`,
    );
    report.table(['target', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors'], timedRows);
    const p99Ours = Number(timedRows[2][3]);
    const p99Peer = Number(timedRows[1][3]);
    report.line(
      `Keeper p99 ${(p99Ours - p99Peer).toFixed(2)} ms above HAProxy's with this client ` +
        `(target ≤1 ms — ${p99Ours - p99Peer <= 1 ? 'met' : 'missed'}).`,
    );
    report.value('endpoint_p99_minus_haproxy_ms_node_client', p99Ours - p99Peer);
    report.check(
      'no request from the node client failed through the keeper',
      Number(timedRows[2][5]) === 0,
      `${timedRows[2][5]} errors`,
    );
    const ratio = ours.rps / peer.rps;
    report.line(
      `Keeper / HAProxy throughput: ${fmtRatio(ratio)} (target ≥0.9× — ${ratio >= 0.9 ? 'met' : 'missed'}); ` +
        `p99 ${(ours.p99 - peer.p99).toFixed(2)} ms above HAProxy's ` +
        `(target ≤1 ms — ${ours.p99 - peer.p99 <= 1 ? 'met' : 'missed'}); ` +
        `keeper / one copy: ${fmtRatio(ours.rps / direct.rps)}.`,
    );
    report.value('endpoint_vs_haproxy_rps', ratio);
    report.value('endpoint_p99_minus_haproxy_ms', ours.p99 - peer.p99);
    report.check(
      'no request through the keeper failed',
      ours.errors === 0,
      `${ours.errors} errors`,
    );
    const status = await keeperControl(engine, keeper.id, ['status']);
    report.check(
      'the keeper counted no failed connection under the node client',
      failedWithNode === 0,
      `${failedWithNode} failed`,
    );
    // wrk closes its connections mid-request when its time is up; the keeper counts those it could
    // not finish.
    report.line(
      "Connections the keeper could not finish in all (wrk's runs included, which end by closing " +
        `their connections mid-request): ${status.totals.failed}.`,
    );
  } finally {
    haproxy?.kill('SIGTERM');
    await disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 }).catch(
      () => undefined,
    );
    await forgetLedger(engine, name).catch(() => undefined);
    await cleanup(docker, runId);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}
