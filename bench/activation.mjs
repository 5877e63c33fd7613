// Activation cost (issue 10, item 10): the extension's activation time in a real VS Code
// (code-server, the same one the tests use), against an empty extension with the same
// activation events, in the same server, same run. Samples alternate the two; each opens
// a fresh workbench on a copy of the test workspace (which holds master copies, so both
// activate at startup) and reads the time from Developer: Show Running Extensions — VS
// Code's own measure: loading the extension's code plus its activate() call.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { summarize } from './lib/stats';

/** An extension that does nothing, activated by the same events as ours. */
function emptyExtension(root, dir) {
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'empty-extension',
      displayName: 'Empty Extension',
      publisher: 'bench',
      version: '0.0.1',
      engines: ours.engines,
      main: './extension.js',
      activationEvents: ours.activationEvents,
      contributes: { languages: [{ id: 'mastercopy', extensions: ['.mastercopy.yaml'] }] },
    }),
  );
  writeFileSync(
    join(dir, 'extension.js'),
    'exports.activate = () => {};\nexports.deactivate = () => {};\n',
  );
}

/** Opens a workbench with `extension` under development; resolves with its activation time (ms). */
async function activationMs({ workbenchUrl }, browser, server, extension, displayName, workspace) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(
      workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: extension }),
    );
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    const row = page
      .locator('.runtime-extensions-editor .monaco-list-row', { hasText: displayName })
      .first();
    const deadline = Date.now() + 60_000;
    // The view lists an extension once it is activated; ask again until it does.
    for (;;) {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('>Developer: Show Running Extensions');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Show Running Extensions' })
        .first()
        .click();
      await page
        .locator('.runtime-extensions-editor')
        .waitFor({ state: 'visible', timeout: 10_000 });
      const text = (await row.count()) ? await row.innerText() : '';
      const m = /Activation:\s*([\d,]+)\s*ms/i.exec(text);
      if (m) return Number(m[1].replace(/,/g, ''));
      if (Date.now() > deadline)
        throw new Error(
          `bench: no activation time for ${displayName} (row: ${JSON.stringify(text)})`,
        );
      await page.keyboard.press('Escape');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await context.close();
  }
}

export async function run(report) {
  const root = report.root;
  // Loaded from the repository at run time (not bundled): it finds code-server relative to itself.
  const cs = await import(pathToFileURL(join(root, 'test', 'vscode', 'codeServer.mjs')).href);
  const { freshCopy, launchChromium, startCodeServer } = cs;
  const samples = report.options.samples ?? (report.options.quick ? 2 : 6);
  const scratch = mkdtempSync(join(tmpdir(), 'mc-bench-activation-'));
  const empty = join(scratch, 'empty-extension');
  emptyExtension(root, empty);
  const server = await startCodeServer({
    scratch: join(scratch, 'server'),
    logFile: join(scratch, 'code-server.log'),
  });
  const browser = await launchChromium();
  const times = { ours: [], empty: [] };
  try {
    const cases = [
      { key: 'ours', path: root, name: 'Master Copy' },
      { key: 'empty', path: empty, name: 'Empty Extension' },
    ];
    for (let i = 0; i < samples; i++) {
      for (const c of i % 2 ? [...cases].reverse() : cases) {
        const workspace = freshCopy(
          join(root, 'test', 'vscode', 'workspace'),
          join(scratch, `ws-${c.key}-${i}`),
        );
        times[c.key].push(await activationMs(cs, browser, server, c.path, c.name, workspace));
      }
    }
  } finally {
    await browser.close();
    server.stop();
  }
  const ours = summarize(times.ours);
  const base = summarize(times.empty);
  const bundle = readFileSync(join(root, 'dist', 'extension.js')).length;
  report.heading(
    `Activation in code-server (VS Code's own measure, ${samples} fresh workbenches each)`,
  );
  report.table(
    ['extension', 'median ms', 'p90 ms', 'min ms'],
    [
      [
        'empty extension, same activation events (baseline)',
        base.median.toFixed(0),
        base.p90.toFixed(0),
        base.min.toFixed(0),
      ],
      ['Master Copy', ours.median.toFixed(0), ours.p90.toFixed(0), ours.min.toFixed(0)],
    ],
  );
  const extra = ours.median - base.median;
  report.line(
    `Master Copy takes ${extra.toFixed(0)} ms more than an empty extension (target: under 50 ms — ${extra < 50 ? 'met' : 'missed'}); ` +
      `dist/extension.js is ${(bundle / 1024).toFixed(0)} KiB as built for this run. ` +
      'The engine client is not loaded at activation: dockerode and the engine record checks are required inside ' +
      'src/core/engine/DockerodeEngineClient.ts on the first engine request.',
  );
  report.value('activation_extra_ms', extra);
  report.check(
    'both extensions activated in every sample',
    times.ours.length === samples && times.empty.length === samples,
  );
  rmSync(scratch, { recursive: true, force: true });
}
