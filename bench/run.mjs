#!/usr/bin/env node
// Runs the benchmarks: `npm run bench` (all) or `node bench/run.mjs validation` (one).
//
// Each benchmark is a TypeScript module under bench/ exporting
// `async function run(report: Report)` (see bench/lib/report.ts). This script
// bundles it with esbuild into bench/results/build/ (gitignored), loads it,
// runs it, prints what it reports, and keeps bench/results/<name>.md and .json.
//
// To add a benchmark: write bench/<name>.ts and add it to BENCHMARKS below.
// Type-check the bench sources: npx tsc -p bench/tsconfig.json
//
// Options: --samples N (samples per case), --quick (few samples, a smoke test),
//          --list (print the names and stop).
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The benchmark modules, run in this order. */
const BENCHMARKS = [
  {
    name: 'validation',
    entry: 'bench/validation.ts',
    // ESM-only; loaded with import() at run time, from node_modules, as a user of the package would.
    external: [
      'yaml-language-server',
      'yaml-language-server/*',
      'vscode-languageserver-textdocument',
    ],
  },
  // needs an engine and dist/cli.js; --quick reads 20/50 MB instead of 50/200 MB
  { name: 'logs', entry: 'bench/logs.ts' },
  // needs an engine: printing 10/20 copies three ways, then the Copies view refresh
  // (bench/refresh.ts); MC_BENCH_COPIES=print|refresh runs one
  { name: 'copies', entry: 'bench/print.ts' },
  // needs an engine, dist/keeper.js and HAProxy (scripts/setup-bench.sh): promote against print +
  // health; the endpoint against one copy and HAProxy
  { name: 'deploy', entry: 'bench/deploy.ts', external: ['autocannon'] },
  // needs an engine and dist/keeper.js: the keeper's reaction times (replacement, scale up/down) against printing one copy
  { name: 'herd', entry: 'bench/herd.ts' },
  // needs an engine: drift of 20 copies against inspecting them (and their changes) through the raw API
  { name: 'drift', entry: 'bench/drift.ts' },
  // needs an engine in swarm mode (scripts/setup-engine.sh): print 10 replicas and a rolling update against the docker CLI
  { name: 'swarm', entry: 'bench/swarm.ts' },
  // needs code-server and chromium (scripts/setup-vscode.sh): activation against an empty extension
  { name: 'activation', entry: 'bench/activation.mjs', external: ['playwright-core', 'esbuild'] },
];

function parseArgs(argv) {
  const names = [];
  const options = { quick: false, samples: undefined, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') options.quick = true;
    else if (a === '--list') options.list = true;
    else if (a === '--samples') options.samples = Number(argv[++i]);
    else if (a.startsWith('--samples=')) options.samples = Number(a.slice('--samples='.length));
    else if (a.startsWith('-')) throw new Error(`bench: unknown option ${a}`);
    else names.push(a);
  }
  if (options.samples !== undefined && !(options.samples > 0))
    throw new Error('bench: --samples needs a positive number');
  return { names, options };
}

function pad(s, n, right) {
  const len = [...s].length;
  return right ? ' '.repeat(Math.max(0, n - len)) + s : s + ' '.repeat(Math.max(0, n - len));
}

class ConsoleReport {
  constructor(name, options) {
    this.name = name;
    this.options = options;
    this.root = root;
    this.md = [];
    this.values = {};
    this.failures = [];
  }
  heading(title) {
    console.log(`\n## ${title}\n`);
    this.md.push(`### ${title}`, '');
  }
  line(text) {
    console.log(text);
    this.md.push(text, '');
  }
  table(columns, rows) {
    const cells = rows.map((r) => r.map(String));
    const widths = columns.map((c, i) =>
      Math.max([...c].length, ...cells.map((r) => [...(r[i] ?? '')].length)),
    );
    const isNum = (i) => cells.every((r) => r[i] === '' || /^[\d.]+×?$/.test(r[i]));
    const fmt = (r) => r.map((c, i) => pad(c ?? '', widths[i], i > 0 && isNum(i))).join('  ');
    console.log('');
    console.log(fmt(columns));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of cells) console.log(fmt(r));
    console.log('');
    this.md.push(
      `| ${columns.join(' | ')} |`,
      `|${columns.map((_, i) => (i > 0 && isNum(i) ? ' ---: ' : ' --- ')).join('|')}|`,
    );
    for (const r of cells) this.md.push(`| ${r.join(' | ')} |`);
    this.md.push('');
  }
  check(name, ok, detail) {
    console.log(`${ok ? 'ok  ' : 'FAIL'}  check: ${name}${!ok && detail ? ` — ${detail}` : ''}`);
    this.md.push(
      `- check ${ok ? 'ok' : '**FAILED**'}: ${name}${!ok && detail ? ` — ${detail}` : ''}`,
    );
    if (!ok) this.failures.push(name);
  }
  value(name, v) {
    this.values[name] = v;
  }
}

function environment() {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    command: ['node', 'bench/run.mjs', ...process.argv.slice(2)].join(' '),
  };
}

async function main() {
  const { names, options } = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const b of BENCHMARKS) console.log(b.name);
    return;
  }
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length)
    throw new Error(
      `bench: no benchmark named ${unknown.join(', ')} (have: ${BENCHMARKS.map((b) => b.name).join(', ')})`,
    );
  const selected = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;

  const env = environment();
  console.log(`Master Copy benchmarks — ${env.date}`);
  console.log(`Node ${env.node} (V8 ${env.v8}), ${env.platform}, CPU ${env.cpu}, ${env.memory}`);
  console.log(
    `Command: ${env.command}${options.quick ? '   (--quick: few samples, numbers are rough)' : ''}`,
  );

  const outDir = join(root, 'bench/results');
  const buildDir = join(outDir, 'build');
  mkdirSync(buildDir, { recursive: true });
  const require = createRequire(import.meta.url);
  let failed = 0;
  for (const b of selected) {
    const outfile = join(buildDir, `${b.name}.cjs`);
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: [b.entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      logLevel: 'warning',
      external: ['vscode', 'cpu-features', '*.node', ...(b.external ?? [])],
      // dockerode bundled in (see DockerodeEngineClient.ts).
      define: { MASTERCOPY_DOCKERODE_FILE: 'false' },
    });
    const mod = require(outfile);
    const report = new ConsoleReport(b.name, options);
    await mod.run(report);
    const header = [
      `Run: ${env.date}, \`${env.command}\`, Node ${env.node}, ${env.platform}, CPU ${env.cpu}.`,
      '',
    ];
    writeFileSync(join(outDir, `${b.name}.md`), [...header, ...report.md].join('\n'));
    writeFileSync(
      join(outDir, `${b.name}.json`),
      JSON.stringify(
        {
          ...env,
          benchmark: b.name,
          options,
          values: report.values,
          failedChecks: report.failures,
        },
        null,
        2,
      ) + '\n',
    );
    if (report.failures.length) failed += report.failures.length;
  }
  console.log(`\nResults kept in bench/results/ (<name>.md, <name>.json).`);
  if (failed) {
    console.error(`bench: ${failed} check(s) failed`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(String(e?.message ?? '').startsWith('bench:') ? e.message : e);
  process.exitCode = 1;
});
