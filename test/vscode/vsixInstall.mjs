#!/usr/bin/env node
// The extension as a user gets it: `vsce package` makes a .vsix of the built dist/;
// code-server installs it with --install-extension into an empty extensions folder and
// lists it; a workbench with only that installed extension (no development path) opens a
// folder with a broken master copy, and the problem the extension reports shows that it
// activated and its code ran.
// A script of its own, not a check of runCodeServer.mjs: that runner loads the extension
// from its development path into one server for every check.
// Counts go to $MASTERCOPY_TEST_RESULTS as {"passed","failed","skipped","failures"}.
// Needs `bash scripts/setup-vscode.sh` and a build (`node esbuild.mjs`) first.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  codeServerEntry,
  launchChromium,
  node24,
  root,
  startCodeServer,
  until,
  workbenchUrl,
} from './codeServer.mjs';
import { Workbench } from './ui/workbench.mjs';

const resultsDir = join(root, 'test-results');
const resultsFile = process.env.MASTERCOPY_TEST_RESULTS || join(resultsDir, 'vsix.json');
const serverLog = join(resultsDir, 'code-server-vsix.log');
const browserLog = join(resultsDir, 'vsix-browser.log');
const scratch = join(root, '.vscode-test', 'vsix');
const { version, publisher, name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const extensionId = `${publisher}.${name}`;

const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
let server;
let browser;

async function check(title, run) {
  try {
    await run();
    counts.passed++;
    console.log(`    ✔ ${title}`);
    return true;
  } catch (err) {
    counts.failed++;
    counts.failures.push(`${title}: ${err.message}`);
    console.log(
      `    ✖ ${title}\n      ${String(err.stack ?? err)
        .split('\n')
        .join('\n      ')}`,
    );
    return false;
  }
}

function run(file, args, env = {}) {
  const r = spawnSync(file, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0)
    throw new Error(
      `${file} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`,
    );
  return r.stdout;
}

const timer = setTimeout(
  () => finish(`the run took longer than 3 minutes; see ${serverLog}`),
  180_000,
);

async function finish(abortReason) {
  clearTimeout(timer);
  if (abortReason) {
    counts.failed++;
    counts.failures.push(`vsix runner: ${abortReason}`);
    console.error(`\nvsix: ${abortReason}`);
  }
  server?.stop();
  await browser?.close().catch(() => {});
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(counts));
  process.exit(counts.failed ? 1 : 0);
}

try {
  rmSync(scratch, { recursive: true, force: true });
  const home = join(scratch, 'home');
  const userData = join(scratch, 'user-data');
  const extensionsDir = join(scratch, 'extensions');
  for (const d of [home, userData, extensionsDir]) mkdirSync(d, { recursive: true });
  const vsix = join(scratch, `mastercopy-${version}.vsix`);
  const codeServer = (...args) =>
    run(
      node24,
      [codeServerEntry, ...args, '--extensions-dir', extensionsDir, '--user-data-dir', userData],
      { HOME: home, TMPDIR: scratch },
    );
  console.log('\n  the packaged extension (.vsix)');

  const packaged = await check('vsce packages the built extension into a .vsix', () => {
    // What `npm run package` does after its production build.
    run(join(root, 'node_modules', '.bin', 'vsce'), [
      'package',
      '--no-dependencies',
      '--no-rewrite-relative-links',
      '--allow-missing-repository',
      '--out',
      vsix,
    ]);
    if (!existsSync(vsix)) throw new Error(`no ${vsix}`);
  });

  const installed =
    packaged &&
    (await check(
      `code-server --install-extension installs it: listed as ${extensionId}@${version}, with the keeper program beside it`,
      () => {
        codeServer('--install-extension', vsix);
        const listed = codeServer('--list-extensions', '--show-versions')
          .split('\n')
          .map((l) => l.trim());
        if (!listed.includes(`${extensionId}@${version}`))
          throw new Error(`--list-extensions says: ${listed.join(' | ')}`);
        // Promote builds the endpoint's image from these two files beside the extension's bundle;
        // dockerode.js is the engine client's stack, read on the first engine request.
        for (const f of ['extension.js', 'dockerode.js', 'keeper.js', 'keeper-control.js']) {
          const p = join(extensionsDir, `${extensionId}-${version}`, 'dist', f);
          if (!existsSync(p)) throw new Error(`not installed: ${p}`);
        }
      },
    ));

  if (installed) {
    await check(
      'the installed extension activates: a broken master copy in the folder shows its problem',
      async () => {
        const workspace = join(scratch, 'workspace');
        mkdirSync(workspace, { recursive: true });
        writeFileSync(
          join(workspace, 'broken.mastercopy.yaml'),
          'mastercopy: 1\nname: broken\nversion: "1.0.0"\nfrom: busybox:stable\ncopies: 0\n',
        );
        server = await startCodeServer({ scratch, logFile: serverLog, extensionsDir });
        browser = await launchChromium();
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await context.newPage();
        page.on('console', (m) => appendFileSync(browserLog, `${m.type()}: ${m.text()}\n`));
        const wb = new Workbench(page, { screenshotDir: join(resultsDir, 'screenshots') });
        // No extensionDevelopmentPath: only what is installed in the extensions folder runs.
        await page.goto(workbenchUrl(server, { folder: workspace }));
        await wb.ready();
        await wb.quickOpen('broken.mastercopy.yaml');
        await until(
          'the language to be Master Copy',
          async () => (await wb.statusBarLanguage()) === 'Master Copy',
        );
        await page.keyboard.press('Control+Shift+M');
        await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 10_000 });
        await until(
          "the extension's problem in the Problems panel",
          async () =>
            /`copies` must be at least 1/.test(await page.locator('.markers-panel').innerText()),
          { timeoutMs: 60_000 },
        );
        await wb.screenshot('vsix-installed-activated');
        await context.close();
      },
    );
  } else {
    counts.skipped++;
  }
  await finish();
} catch (err) {
  await finish(err.stack ?? String(err));
}
