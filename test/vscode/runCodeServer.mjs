#!/usr/bin/env node
// Runs the extension's tests inside a real VS Code on this machine: code-server (the
// VS Code server + web workbench) driven by a headless chromium.
//   1. the mocha suite (out/test/vscode/index.js) in the extension host, through VS
//      Code's web test hooks (payload extensionDevelopmentPath/extensionTestsPath);
//   2. UI checks (test/vscode/ui/*.ui.mjs) that drive the workbench like a person.
// Counts go to $MASTERCOPY_TEST_RESULTS as {"passed","failed","skipped","failures"};
// the exit code is non-zero when anything failed or the run did not finish.
// Needs `bash scripts/setup-vscode.sh` and a build (`node esbuild.mjs`) first.
// Logs: test-results/code-server.log, test-results/vscode-browser.log; screenshots:
// test-results/screenshots/.
// While working on one feature, MASTERCOPY_TEST_GREP=REGEX runs only the mocha tests whose
// full title matches and the UI check files whose suite name matches (CI never sets it).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  freshCopy,
  launchChromium,
  root,
  startCodeServer,
  until,
  workbenchUrl,
} from './codeServer.mjs';
import { Workbench } from './ui/workbench.mjs';

const resultsFile =
  process.env.MASTERCOPY_TEST_RESULTS || join(root, 'test-results', 'vscode.json');
const grep = process.env.MASTERCOPY_TEST_GREP || '';
const runTimeoutMs = Number(process.env.MASTERCOPY_VSCODE_TIMEOUT_MS || 5 * 60_000);
const resultsDir = join(root, 'test-results');
const screenshotDir = join(resultsDir, 'screenshots');
const serverLog = join(resultsDir, 'code-server.log');
const browserLog = join(resultsDir, 'vscode-browser.log');
const scratch = join(root, '.vscode-test', 'code-server');
const fixture = join(root, 'test', 'vscode', 'workspace');
const testsEntry = join(root, 'out', 'test', 'vscode', 'index.js');

// Marks mocha's report lines among the workbench's log lines (see test/vscode/index.ts).
const REPORT_MARKER = '[mastercopy-report] ';

const started = Date.now();
let server;
/** The second code-server, with workspace trust on (see serverFor). */
let trustServer;
let browser;

async function cleanup() {
  // The server first: on Ctrl-C playwright's own handler may end this process while the browser closes.
  server?.stop();
  trustServer?.stop();
  await browser?.close().catch(() => {});
}
process.once('exit', () => {
  server?.stop();
  trustServer?.stop();
});

function writeResults(counts) {
  mkdirSync(join(resultsFile, '..'), { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(counts));
}

let aborting = false;
/** Ends the run as failed, whatever state it is in; the counts so far are kept. */
async function abort(reason) {
  // Once: what fails after an interrupt or a timeout is only its consequence.
  if (aborting) return new Promise(() => {});
  aborting = true;
  console.error(`\nvscode: ${reason}`);
  const counts = readResults() ?? { passed: 0, failed: 0, skipped: 0, failures: [] };
  counts.failed += 1;
  counts.failures.push(`vscode runner: ${reason}`);
  writeResults(counts);
  await cleanup();
  process.exit(1);
}

function readResults() {
  try {
    return JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch {
    return undefined;
  }
}

const timer = setTimeout(
  () =>
    abort(
      `the run took longer than ${runTimeoutMs / 1000} s (MASTERCOPY_VSCODE_TIMEOUT_MS); see ${relative(root, serverLog)}`,
    ),
  runTimeoutMs,
);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(sig, () => abort(`interrupted (${sig})`));

/** Opens a fresh page on the workbench (of `on`, default the main server); browser console output goes to the browser log. */
async function openWorkbench(name, options, on = server) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('console', (m) => appendFileSync(browserLog, `[${name}] ${m.type()}: ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(browserLog, `[${name}] pageerror: ${e.stack ?? e}\n`));
  return { context, page, url: workbenchUrl(on, options) };
}

/** A second code-server with workspace trust on (folders untrusted until a person says so), started when a check asks for it. */
async function serverFor(wants) {
  if (!wants?.workspaceTrust) return server;
  trustServer ??= await startCodeServer({
    scratch: join(root, '.vscode-test', 'code-server-trust'),
    logFile: join(resultsDir, 'code-server-trust.log'),
    testHooks: true,
    workspaceTrust: true,
  });
  return trustServer;
}

/** 1. The mocha suite inside the extension host. Resolves with the exit code it reports. */
async function runExtensionTests(workspace) {
  const { context, page, url } = await openWorkbench('tests', {
    folder: workspace,
    extensionDevelopmentPath: root,
    extensionTestsPath: testsEntry,
    extensionEnvironment: {
      MASTERCOPY_TEST_RESULTS: resultsFile,
      MASTERCOPY_TEST_WORKSPACE: workspace,
      MASTERCOPY_TEST_LOG_PREFIX: REPORT_MARKER,
      MASTERCOPY_TEST_GREP: grep,
    },
  });
  let exit;
  const exited = new Promise((r) => (exit = r));
  // The workbench logs through codeAutomationLog, the extension host's console
  // included. Only mocha's report (marked by index.ts) is for people; every line is kept in the browser log.
  await page.exposeFunction('codeAutomationLog', (level, message) => {
    const text = String(message);
    appendFileSync(browserLog, `[tests] log ${level}: ${text}\n`);
    const at = text.indexOf(REPORT_MARKER);
    if (at >= 0) console.log(text.slice(at + REPORT_MARKER.length));
  });
  await page.exposeFunction('codeAutomationExit', (code) => exit(code));
  await page.goto(url);
  const code = await exited;
  await context.close();
  return code;
}

/** 2. The UI checks, each file on its own fresh page and workspace copy. */
async function runUiChecks() {
  const dir = join(root, 'test', 'vscode', 'ui');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ui.mjs'))
    .sort();
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const file of files) {
    // A check file may ask for a server of its own kind: `export const server = { workspaceTrust: true }`.
    const { suite, checks, server: wants } = await import(pathToFileURL(join(dir, file)).href);
    if (grep && !new RegExp(grep).test(suite)) continue;
    const workspace = freshCopy(
      fixture,
      join(root, '.vscode-test', `ui-${file.replace(/\.ui\.mjs$/, '')}`),
    );
    const { context, page, url } = await openWorkbench(
      file,
      { folder: workspace, extensionDevelopmentPath: root },
      await serverFor(wants),
    );
    const wb = new Workbench(page, { screenshotDir });
    console.log(`\n  ${suite}`);
    let ready;
    try {
      await page.goto(url);
      await wb.ready();
      ready = true;
    } catch (err) {
      ready = err;
    }
    for (const check of checks) {
      const t0 = Date.now();
      let skipped;
      try {
        if (ready !== true) throw new Error(`the workbench did not come up: ${ready.message}`);
        await check.run({
          wb,
          page,
          workspace,
          until,
          skip: (reason) => {
            throw Object.assign(new Error(reason), { skip: true });
          },
        });
        counts.passed++;
        console.log(`    ✔ ${check.title} (${Date.now() - t0}ms)`);
      } catch (err) {
        if (err?.skip) {
          skipped = err.message;
          counts.skipped++;
          console.log(`    - ${check.title} (skipped: ${skipped})`);
          continue;
        }
        counts.failed++;
        const shot = await wb
          .screenshot(`FAILED-${file.replace(/\.ui\.mjs$/, '')}-${counts.failed}`)
          .catch(() => undefined);
        counts.failures.push(
          `${suite} ${check.title}: ${err?.message ?? err}` +
            (shot ? ` [screenshot: ${relative(root, shot)}]` : ''),
        );
        console.log(`    ${counts.failed}) ${check.title}`);
      }
    }
    await context.close();
  }
  console.log(
    `\n  ${counts.passed} passing` +
      (counts.skipped ? `\n  ${counts.skipped} pending` : '') +
      (counts.failed ? `\n  ${counts.failed} failing` : ''),
  );
  counts.failures.forEach((f, i) => console.log(`\n  ${i + 1}) ${f}`));
  return counts;
}

try {
  if (!existsSync(testsEntry))
    throw new Error(`${relative(root, testsEntry)} is missing: run 'node esbuild.mjs' first`);
  mkdirSync(resultsDir, { recursive: true });
  rmSync(resultsFile, { force: true });
  rmSync(serverLog, { force: true });
  rmSync(browserLog, { force: true });
  rmSync(screenshotDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
  rmSync(join(root, '.vscode-test', 'code-server-trust'), { recursive: true, force: true });

  server = await startCodeServer({ scratch, logFile: serverLog, testHooks: true });
  console.log(`vscode: code-server ${server.url} ready after ${Date.now() - started} ms`);
  browser = await launchChromium();

  const workspace = freshCopy(fixture, join(root, '.vscode-test', 'workspace'));
  const mochaExit = await runExtensionTests(workspace);
  const counts = readResults();
  if (!counts)
    throw new Error(
      `the extension tests ended (exit ${mochaExit}) without writing ${resultsFile}; ` +
        `see ${relative(root, browserLog)} and ${relative(root, serverLog)}`,
    );
  if (mochaExit !== 0 && counts.failed === 0) {
    counts.failed++;
    counts.failures.push(
      `vscode extension tests: exited ${mochaExit} with no failing test (a load or run error; see ${relative(root, browserLog)})`,
    );
  }

  const ui = await runUiChecks();
  counts.passed += ui.passed;
  counts.failed += ui.failed;
  counts.skipped += ui.skipped;
  counts.failures.push(...ui.failures);
  writeResults(counts);
  console.log(
    `\nvscode: ${counts.passed} passed, ${counts.failed} failed` +
      (counts.skipped ? `, ${counts.skipped} skipped` : '') +
      ` in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  clearTimeout(timer);
  await cleanup();
  process.exit(counts.failed > 0 ? 1 : 0);
} catch (err) {
  await abort(err?.stack ?? String(err));
}
