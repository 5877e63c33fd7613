#!/usr/bin/env node
// Where our validation spends its time: runs one case in a loop under V8's
// sampling profiler and prints self time by function and by package.
//   node bench/profile.mjs fresh-text|fresh-validator|edit [iterations]
// The raw profile is kept in bench/results/profile/ (open it in Chrome DevTools).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const which = process.argv[2] ?? 'fresh-text';
const iterations = Number(process.argv[3] ?? (which === 'edit' ? 3000 : 300));
const dir = join(root, 'bench/results/profile');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const outfile = join(root, 'bench/results/build/profileValidation.cjs');
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['bench/profileValidation.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  sourcemap: false,
  define: { MASTERCOPY_DOCKERODE_FILE: 'false' }, // dockerode bundled in (DockerodeEngineClient.ts)
});
execFileSync(
  process.execPath,
  [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    '-e',
    `require(${JSON.stringify(outfile)}).loop(${JSON.stringify(which)}, ${iterations})`,
  ],
  { stdio: 'inherit' },
);
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));

// Self time per node = samples hitting it × the mean interval.
const counts = new Map();
for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const dt = (prof.endTime - prof.startTime) / 1000 / prof.samples.length; // ms per sample
const byFn = new Map();
const byPkg = new Map();
const src = readFileSync(outfile, 'utf8').split('\n');
// Which package a line of the bundle came from: esbuild marks each module with a `// path` comment.
const moduleOfLine = [];
let current = '(runtime)';
for (let i = 0; i < src.length; i++) {
  const m = /^\/\/ (node_modules\/(?:@[^/]+\/)?[^/]+|src\/[^\s]+|test\/[^\s]+|bench\/[^\s]+)/.exec(
    src[i],
  );
  if (m) current = m[1].startsWith('node_modules/') ? m[1].slice('node_modules/'.length) : m[1];
  moduleOfLine.push(current);
}
let total = 0;
for (const n of prof.nodes) {
  const c = counts.get(n.id) ?? 0;
  if (!c) continue;
  const ms = c * dt;
  total += ms;
  const cf = n.callFrame;
  const inBundle = cf.url.endsWith('profileValidation.cjs');
  const pkg = inBundle
    ? (moduleOfLine[cf.lineNumber] ?? '?')
    : cf.url
      ? 'node internals'
      : cf.functionName || '(vm)';
  const key = `${cf.functionName || '(anonymous)'}  [${pkg}${inBundle ? `, bundle line ${cf.lineNumber + 1}` : ''}]`;
  byFn.set(key, (byFn.get(key) ?? 0) + ms);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + ms);
}
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(
  `case ${which}, ${iterations} iterations, ${total.toFixed(0)} ms sampled ` +
    `(${(total / iterations).toFixed(2)} ms per iteration incl. set-up)\n`,
);
console.log('self time by module:');
for (const [k, v] of top(byPkg, 15))
  console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
console.log('\nself time by function:');
for (const [k, v] of top(byFn, 25))
  console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
console.log(`\nprofile: ${join('bench/results/profile', file)}`);
