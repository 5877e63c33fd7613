// A person deploys the example without downtime: Promote from the palette (the progress
// notification's phases, the Copies view showing the phase, then the active version beside
// its endpoint), the next version from the Promote code lens, Roll Back… through its two
// pickers, and a promote cancelled before the switch from its notification.
// Screenshots to look at: deploy-tree-during-promote, deploy-tree-after-promote (.png).
// Under the smoke-test driver (which the test hooks need) the workbench shows no toasts:
// notifications, progress included, are read from the notification center, kept open.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const suite = 'ui: deploy';

// A unique name (and its own port), so this never meets a real transaction-service.
const name = `ui-dep-${Date.now().toString(36)}`;
const file = `${name}.mastercopy.yaml`;
let port;
let path;

function sh(cmd, args) {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`))
        : resolve(stdout),
    ),
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

/** What the endpoint answers on /, or the error. */
function fetchBody() {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(`error: ${e.message}`));
  });
}

/** Writes the master copy at `version`: its page says which version serves. `health` changes the health check. */
function writeVersion(version, { health } = {}) {
  let text = readFileSync(path, 'utf8').replace(/^version: .*$/m, `version: "${version}"`);
  if (health) text = text.replace(/^health:\n(  .*\n)+/m, health);
  writeFileSync(path, text);
  writeFileSync(join(dirname(path), 'www', 'index.html'), `${name} ${version}\n`);
}

/** The rows of our master copy and what is under it (the engine may hold other master copies). */
function rowsOf(page) {
  return page.locator('.pane-body .monaco-list-row').evaluateAll((rows, n) => {
    const out = [];
    let inside = false;
    for (const r of rows) {
      const label = (r.getAttribute('aria-label') ?? r.textContent ?? '').trim();
      if (r.getAttribute('aria-level') === '1') inside = label.startsWith(`${n} `);
      if (inside) out.push(label);
    }
    return out;
  }, name);
}

async function runCommand(wb, label) {
  const row = await wb.findCommand(label);
  await row.click();
}

/** The notification center, opened (by its status bar bell) if it is not. */
async function notificationCenter(page) {
  const center = page.locator('.notifications-center.visible');
  if (!(await center.count())) await page.locator('[id="status.notifications"]').first().click();
  await center.waitFor({ state: 'visible', timeout: 10_000 });
  return center;
}

/** The notification that says `text` (progress ones too, with their current message). */
async function notification(page, text) {
  return (await notificationCenter(page))
    .locator('.notification-list-item', { hasText: text })
    .first();
}

async function errorNotifications(page) {
  return (await notificationCenter(page))
    .locator('.notification-list-item')
    .filter({ has: page.locator('.codicon-error') })
    .allInnerTexts();
}

async function clearNotifications(page) {
  const center = await notificationCenter(page);
  await center
    .locator('.notifications-center-header-toolbar .codicon-notifications-clear-all')
    .first()
    .click();
  await until0(async () => (await center.locator('.notification-list-item').count()) === 0);
}

/** A short poll for the few waits that have no `until` at hand. */
async function until0(probe, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A locator's text now, '' when it is gone (never waiting for it to come back). */
async function textOf(locator) {
  return (await locator.count()) ? locator.innerText({ timeout: 1_000 }).catch(() => '') : '';
}

function statusBarText(page) {
  return page.locator('.part.statusbar').evaluate((e) => e.textContent ?? '');
}

async function ledger() {
  return JSON.parse(await sh('node', [join(root, 'dist', 'cli.js'), 'history', '--json', name]));
}

export const checks = [
  {
    title:
      'Promote from the palette: its phases in a progress notification, the phase in the Copies view, ' +
      'then the active version beside its endpoint and in the status bar',
    async run({ wb, page, workspace, until }) {
      port = await freePort();
      const dir = join(workspace, 'deploy');
      cpSync(join(root, 'examples', 'transaction-service'), dir, { recursive: true });
      path = join(dir, file);
      renameSync(join(dir, 'transaction-service.mastercopy.yaml'), path);
      writeFileSync(
        path,
        readFileSync(path, 'utf8')
          .replace(/^name: .*$/m, `name: ${name}`)
          .replace(/^gateway: .*$/m, `gateway: { port: ${port}, target: 8080 }`),
      );
      writeVersion('1.0.0');

      await wb.quickOpen(file);
      await until(
        'the master copy to be open',
        async () => (await wb.activeEditorTabLabel()) === file,
      );
      await runCommand(wb, 'Master Copy: Focus on Copies View');
      await until(
        'the master copy in the Copies view',
        async () => (await rowsOf(page)).length > 0,
      );
      // Other master copies on this engine (collapsed) keep ours on screen; ours expands by itself once it has copies.
      // Wider, so that the screenshots show the items' descriptions: drag the sash at the side bar's edge.
      const side = await page.locator('.part.sidebar').boundingBox();
      await page.mouse.move(side.x + side.width + 1, side.y + side.height / 2);
      await page.mouse.down();
      await page.mouse.move(side.x + side.width + 300, side.y + side.height / 2, { steps: 5 });
      await page.mouse.up();
      await page.locator('.part.sidebar').hover();
      // Collapse All is disabled when nothing is expanded (a fresh engine): then there is nothing to collapse.
      const collapseAll = page
        .locator('.part.sidebar .action-label[aria-label="Collapse All"]')
        .first();
      if ((await collapseAll.getAttribute('aria-disabled')) !== 'true') await collapseAll.click();

      await notificationCenter(page);
      await page.locator('.part.editor .editor-instance .view-lines').first().click();
      await runCommand(wb, 'Master Copy: Promote');
      const progress = await notification(page, `Promoting ${name} to 1.0.0`);
      await progress.waitFor({ state: 'visible', timeout: 15_000 });
      const messages = new Set();
      await until(
        'the Copies view to show the promote and its phase',
        async () => {
          const text = await textOf(progress);
          const m = /(build|endpoint|print green|health gate|switch) — [^\n]*/.exec(text);
          if (m) messages.add(m[1]);
          return (await rowsOf(page)).some((r) =>
            /^1\.0\.0 .*promoting: (print green|health gate)/.test(r),
          );
        },
        { timeoutMs: 60_000 },
      );
      await wb.screenshot('deploy-tree-during-promote');
      await until(
        'the version to be active, with the endpoint above it',
        async () => {
          const text = await textOf(progress);
          const m = /(build|endpoint|print green|health gate|switch) — /.exec(text);
          if (m) messages.add(m[1]);
          const rows = await rowsOf(page);
          return (
            rows.some((r) => r.startsWith(`http://127.0.0.1:${port} → 1.0.0`)) &&
            rows.some((r) => /^1\.0\.0 2 copies · 2 running .*· active/.test(r)) &&
            !rows.some((r) => /promoting|being promoted/.test(r))
          );
        },
        { timeoutMs: 90_000 },
      );
      assert.ok(
        messages.size >= 2,
        `the notification said the phases as they went (saw: ${[...messages].join(', ')})`,
      );
      await (
        await notification(
          page,
          `Promoted ${name} to 1.0.0: 2 copies serving at http://127.0.0.1:${port}/`,
        )
      ).waitFor({ state: 'visible', timeout: 15_000 });
      await wb.screenshot('deploy-tree-after-promote');
      const status = page.locator('.statusbar-item[id*="mastercopy.activeVersion"]').first();
      await until('the status bar to show the active version', async () =>
        (await textOf(status)).includes(`${name} 1.0.0`),
      );
      assert.equal(await fetchBody(), `${name} 1.0.0`);
      assert.deepEqual(await errorNotifications(page), []);
    },
  },
  {
    title:
      'the Promote code lens promotes the next version: blue is replaced, the endpoint serves green',
    async run({ wb, page, until }) {
      writeVersion('1.1.0');
      await until('the editor to show 1.1.0', async () =>
        (await wb.activeEditorText()).includes('version: "1.1.0"'),
      );
      const lens = page
        .locator('.part.editor .codelens-decoration a', { hasText: 'Promote' })
        .first();
      await lens.waitFor({ state: 'visible', timeout: 15_000 });
      await lens.click();
      await until(
        'only 1.1.0, active',
        async () => {
          const rows = await rowsOf(page);
          return (
            rows.some((r) => r.startsWith(`http://127.0.0.1:${port} → 1.1.0`)) &&
            rows.some((r) => /^1\.1\.0 .*· active/.test(r)) &&
            !rows.some((r) => r.startsWith('1.0.0 '))
          );
        },
        { timeoutMs: 90_000 },
      );
      assert.equal(await fetchBody(), `${name} 1.1.0`);
    },
  },
  {
    title: 'Roll Back… picks the master copy, then the version: its image serves again',
    async run({ wb, page, until }) {
      await runCommand(wb, 'Master Copy: Roll Back');
      const title = wb.quickInput().locator('.quick-input-title');
      // Other master copies on this engine may have a ledger too: then it asks which.
      await until('a picker', async () =>
        /Roll back which master copy\?|back to which version\?/.test(await textOf(title)),
      );
      if (/which master copy/.test(await title.innerText())) {
        await page.keyboard.type(name);
        await wb
          .quickInput()
          .locator('.monaco-list-row', { hasText: name })
          .first()
          .waitFor({ state: 'visible', timeout: 10_000 });
        await page.keyboard.press('Enter');
        await until('the version picker', async () =>
          (await textOf(title)).includes(`Roll ${name} back to which version? (1.1.0 serves now)`),
        );
      }
      const rows = await wb.quickInputRows();
      assert.ok(
        rows.some((r) => /1\.1\.0.*active: serves now/.test(r)),
        `the active version is marked (rows: ${rows.join(' | ')})`,
      );
      const older = rows.findIndex((r) => r.startsWith('1.0.0'));
      assert.ok(older >= 0, `1.0.0 is offered (rows: ${rows.join(' | ')})`);
      await wb.quickInput().locator('.monaco-list-row').nth(older).click();
      await (
        await notification(page, `Rolling ${name} back to 1.0.0`)
      ).waitFor({ state: 'visible', timeout: 15_000 });
      await until(
        '1.0.0 active again',
        async () => {
          const r = await rowsOf(page);
          return (
            r.some((x) => x.startsWith(`http://127.0.0.1:${port} → 1.0.0`)) &&
            r.some((x) => /^1\.0\.0 .*· active/.test(x)) &&
            !r.some((x) => x.startsWith('1.1.0 '))
          );
        },
        { timeoutMs: 90_000 },
      );
      assert.equal(await fetchBody(), `${name} 1.0.0`);
      const last = (await ledger()).at(-1);
      assert.deepEqual(
        [last.action, last.version, last.outcome],
        ['rollback', '1.0.0', 'rolled-back'],
      );
    },
  },
  {
    title:
      'Cancel before the switch: the new copies go, the version that served keeps serving, and no error is shown',
    async run({ wb, page, until }) {
      try {
        // Never healthy within its start period: the promote waits at the health gate until cancelled.
        writeVersion('1.2.0', {
          health:
            'health:\n  http: { port: 8080, path: /never-there }\n  interval: 1s\n  startPeriod: 300s\n',
        });
        await until('the editor to show 1.2.0', async () =>
          (await wb.activeEditorText()).includes('version: "1.2.0"'),
        );
        await clearNotifications(page);
        await page.locator('.part.editor .editor-instance .view-lines').first().click();
        await runCommand(wb, 'Master Copy: Promote');
        const progress = await notification(page, `Promoting ${name} to 1.2.0`);
        await progress.waitFor({ state: 'visible', timeout: 15_000 });
        await until(
          'the health gate',
          async () => (await textOf(progress)).includes('health gate'),
          { timeoutMs: 60_000 },
        );
        const green = async () =>
          (
            await sh('docker', [
              'ps',
              '-aq',
              '--filter',
              `label=io.mastercopy.name=${name}`,
              '--filter',
              'label=io.mastercopy.version=1.2.0',
            ])
          ).trim();
        assert.notEqual(await green(), '', 'green copies were printed');
        await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().click();

        await until('the green copies to be gone', async () => (await green()) === '', {
          timeoutMs: 30_000,
        });
        await until(
          'the ledger to record the cancel',
          async () => (await ledger()).at(-1).outcome === 'cancelled',
          { timeoutMs: 15_000 },
        );
        await until(
          'the status bar to say it was cancelled',
          async () => /cancelled before the switch/.test(await statusBarText(page)),
          { timeoutMs: 15_000 },
        );
        await until('the Copies view to show no promote running', async () => {
          const rows = await rowsOf(page);
          return (
            rows.some((r) => /^1\.0\.0 .*· active/.test(r)) &&
            !rows.some((r) => /promoting/.test(r))
          );
        });
        assert.equal(await fetchBody(), `${name} 1.0.0`, 'blue still serves');
        assert.deepEqual(await errorNotifications(page), [], 'a cancel is not an error');
      } finally {
        const ids = (
          await sh('docker', ['ps', '-aq', '--filter', `label=io.mastercopy.name=${name}`]).catch(
            () => '',
          )
        )
          .split('\n')
          .filter(Boolean);
        if (ids.length) await sh('docker', ['rm', '-f', ...ids]).catch(() => undefined);
        const volumes = (
          await sh('docker', [
            'volume',
            'ls',
            '-q',
            '--filter',
            `label=io.mastercopy.name=${name}`,
          ]).catch(() => '')
        )
          .split('\n')
          .filter(Boolean);
        if (volumes.length) await sh('docker', ['volume', 'rm', ...volumes]).catch(() => undefined);
        const networks = (
          await sh('docker', [
            'network',
            'ls',
            '-q',
            '--filter',
            `label=io.mastercopy.name=${name}`,
          ]).catch(() => '')
        )
          .split('\n')
          .filter(Boolean);
        if (networks.length)
          await sh('docker', ['network', 'rm', ...networks]).catch(() => undefined);
        for (const v of ['1.0.0', '1.1.0', '1.2.0'])
          await sh('docker', ['rmi', `${name}:${v}`]).catch(() => undefined);
      }
    },
  },
];
