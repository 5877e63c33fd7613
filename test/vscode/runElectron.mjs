#!/usr/bin/env node
// Runs the same extension test suite (out/test/vscode/index.js) in a desktop VS Code
// through @vscode/test-electron, for machines where VS Code can be downloaded (or is
// installed: set MASTERCOPY_VSCODE_EXECUTABLE). On this project's own machines VS Code
// cannot be downloaded; use test/vscode/runCodeServer.mjs there.
//   node esbuild.mjs && node test/vscode/runElectron.mjs
// On Linux without a display, wrap it: xvfb-run -a node test/vscode/runElectron.mjs
// Env: MASTERCOPY_VSCODE_VERSION (default "stable"), MASTERCOPY_VSCODE_EXECUTABLE,
//      MASTERCOPY_TEST_RESULTS (counts JSON, default test-results/vscode-electron.json).
import { runTests, TestRunFailedError } from '@vscode/test-electron';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freshCopy, root } from './codeServer.mjs';

const testsEntry = join(root, 'out', 'test', 'vscode', 'index.js');
const resultsFile =
  process.env.MASTERCOPY_TEST_RESULTS || join(root, 'test-results', 'vscode-electron.json');
const scratch = join(root, '.vscode-test', 'electron');

if (!existsSync(testsEntry)) {
  console.error(`${relative(root, testsEntry)} is missing: run 'node esbuild.mjs' first`);
  process.exit(1);
}
rmSync(resultsFile, { force: true });
rmSync(join(scratch, 'user-data'), { recursive: true, force: true });
const workspace = freshCopy(join(root, 'test', 'vscode', 'workspace'), join(scratch, 'workspace'));

let code;
try {
  code = await runTests({
    version: process.env.MASTERCOPY_VSCODE_VERSION || 'stable',
    cachePath: join(root, '.vscode-test'),
    vscodeExecutablePath: process.env.MASTERCOPY_VSCODE_EXECUTABLE || undefined,
    extensionDevelopmentPath: root,
    extensionTestsPath: testsEntry,
    extensionTestsEnv: {
      MASTERCOPY_TEST_RESULTS: resultsFile,
      MASTERCOPY_TEST_WORKSPACE: workspace,
    },
    launchArgs: [
      workspace, // the folder to open: a fresh copy, tests may write into it
      '--disable-extensions', // only the extension under development
      `--user-data-dir=${join(scratch, 'user-data')}`,
      `--extensions-dir=${join(scratch, 'extensions')}`,
    ],
  });
} catch (err) {
  // runTests rejects with TestRunFailedError when VS Code exits non-zero (a test failed),
  // and with other errors when VS Code could not be downloaded or started.
  code = err instanceof TestRunFailedError ? (err.code ?? 1) : 1;
  if (!(err instanceof TestRunFailedError))
    console.error(`vscode (electron): could not run VS Code: ${err?.message ?? err}`);
}

let counts;
try {
  counts = JSON.parse(readFileSync(resultsFile, 'utf8'));
} catch {
  console.error(`vscode (electron): the suite wrote no results to ${resultsFile}`);
  process.exit(code || 1);
}
console.log(
  `\nvscode (electron): ${counts.passed} passed, ${counts.failed} failed` +
    (counts.skipped ? `, ${counts.skipped} skipped` : ''),
);
process.exit(code !== 0 || counts.failed > 0 ? code || 1 : 0);
