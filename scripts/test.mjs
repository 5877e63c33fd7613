#!/usr/bin/env node
// The whole test suite: build, type-check, lint, then each suite in turn, and one
// closing line that totals them all: "N passed, N failed[, N skipped]".
//   node scripts/test.mjs            every suite
//   node scripts/test.mjs unit vscode  only those
// Suites: unit (no editor, no engine), engine (a real Docker Engine, started by
// scripts/setup-engine.sh), podman (Podman's Docker-compatible API, started by
// scripts/setup-podman.sh: test/podman), vscode (inside a real VS Code: code-server + chromium,
// installed by scripts/setup-vscode.sh), vsix (the packaged extension installed into that
// VS Code with --install-extension, and activated: test/vscode/vsixInstall.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const resultsDir = join(root, 'test-results');
const all = ['typecheck', 'lint', 'unit', 'engine', 'podman', 'vscode', 'vsix'];
const asked = process.argv.slice(2);
const suites = asked.length ? asked : all;
for (const s of suites) {
  if (!all.includes(s)) {
    console.error(`unknown suite '${s}'; suites: ${all.join(', ')}`);
    process.exit(2);
  }
}

mkdirSync(resultsDir, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

function mochaFiles(dir) {
  const abs = join(root, 'out', 'test', dir);
  if (!existsSync(abs)) return [];
  const out = [];
  const walk = (d) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      if (n.isDirectory()) walk(join(d, n.name));
      else if (n.name.endsWith('.test.js')) out.push(join(d, n.name));
    }
  };
  walk(abs);
  return out.sort();
}

function record(suite, status, resultsFile) {
  let counts = { passed: 0, failed: 0, skipped: 0 };
  if (resultsFile && existsSync(resultsFile))
    counts = JSON.parse(readFileSync(resultsFile, 'utf8'));
  if (status !== 0 && counts.failed === 0) {
    // The runner itself failed (crash, no engine, no browser): count it, never hide it.
    counts.failed = 1;
    console.error(`\n${suite}: the suite did not run to the end (exit ${status})`);
  }
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  lines.push(
    `${suite}: ${counts.passed} passed, ${counts.failed} failed` +
      (counts.skipped ? `, ${counts.skipped} skipped` : ''),
  );
}

// A fresh clone has no node_modules yet: install exactly what the lock file says.
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.log('> npm ci');
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) {
    console.log('\n0 passed, 1 failed');
    process.exit(1);
  }
}

console.log('> build');
if (run('node', ['esbuild.mjs']) !== 0) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

for (const suite of suites) {
  console.log(`\n> ${suite}`);
  const resultsFile = join(resultsDir, `${suite}.json`);
  rmSync(resultsFile, { force: true });
  if (suite === 'lint') {
    // ESLint, type-aware (eslint.config.mjs), Prettier (.prettierrc.json) and the width of
    // what Prettier cannot break: one line in the totals, like the type check.
    const status = [
      [join(root, 'node_modules', '.bin', 'eslint'), ['src', 'test']],
      [join(root, 'node_modules', '.bin', 'prettier'), ['--check', '--log-level', 'warn', '.']],
      ['node', ['scripts/check-width.mjs']],
    ].reduce((worst, [cmd, args]) => Math.max(worst, run(cmd, args)), 0);
    totals[status === 0 ? 'passed' : 'failed']++;
    lines.push(`lint: ${status === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
    continue;
  }
  if (suite === 'typecheck') {
    const status = run('npx', ['tsc', '--noEmit', '-p', '.']);
    totals[status === 0 ? 'passed' : 'failed']++;
    lines.push(`typecheck: ${status === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
    continue;
  }
  // The in-VS-Code suite prints copies too: it needs the engine as well.
  if (
    (suite === 'engine' || suite === 'vscode') &&
    run('bash', ['scripts/setup-engine.sh']) !== 0
  ) {
    record(suite, 1, null);
    continue;
  }
  // Podman's API service, with the images the tests need moved over from Docker.
  if (suite === 'podman' && run('bash', ['scripts/setup-podman.sh']) !== 0) {
    record(suite, 1, null);
    continue;
  }
  if (suite === 'vscode' || suite === 'vsix') {
    if (run('bash', ['scripts/setup-vscode.sh']) !== 0) {
      record(suite, 1, null);
      continue;
    }
    const status = run(
      'node',
      [suite === 'vscode' ? 'test/vscode/runCodeServer.mjs' : 'test/vscode/vsixInstall.mjs'],
      { MASTERCOPY_TEST_RESULTS: resultsFile },
    );
    record(suite, status, resultsFile);
    continue;
  }
  const files = mochaFiles(suite);
  if (files.length === 0) {
    lines.push(`${suite}: no tests`);
    continue;
  }
  const status = run(
    join(root, 'node_modules', '.bin', 'mocha'),
    [
      '--reporter',
      join(root, 'out', 'test', 'support', 'countingReporter.js'),
      '--timeout',
      suite === 'unit' ? '10000' : '120000',
      ...files,
    ],
    { MASTERCOPY_TEST_RESULTS: resultsFile },
  );
  record(suite, status, resultsFile);
}

console.log('\n' + lines.join('\n'));
console.log(
  `${totals.passed} passed, ${totals.failed} failed` +
    (totals.skipped ? `, ${totals.skipped} skipped` : ''),
);
process.exit(totals.failed > 0 ? 1 : 0);
