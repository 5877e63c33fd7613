// The extension-tests entry VS Code loads (extensionTestsPath): the same CommonJS
// shape @vscode/test-electron uses, so one suite runs under code-server's web test
// hooks (runCodeServer.mjs) and under a desktop VS Code (runElectron.mjs).
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

// Under code-server the extension host's console reaches the runner through the
// workbench log, mixed with the workbench's own lines and with format arguments
// unapplied. So each report line is formatted here, and prefixed with a marker the
// runner looks for when it sets MASTERCOPY_TEST_LOG_PREFIX.
const prefix = process.env.MASTERCOPY_TEST_LOG_PREFIX ?? '';
Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(prefix + format(...args));

export function run(): Promise<void> {
  // This file is bundled to out/test/vscode/index.js; the reporter to
  // out/test/support/countingReporter.js. It writes $MASTERCOPY_TEST_RESULTS.
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 60_000,
    color: false,
    reporter: require(path.join(__dirname, '..', 'support', 'countingReporter.js')),
    // Only while working on one feature (runCodeServer.mjs); CI runs everything.
    ...(process.env.MASTERCOPY_TEST_GREP ? { grep: process.env.MASTERCOPY_TEST_GREP } : {}),
  });
  for (const file of testFiles(path.join(__dirname, 'suite'))) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) =>
        failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve(),
      );
    } catch (err) {
      reject(err);
    }
  });
}
