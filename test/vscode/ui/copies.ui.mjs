// A person prints copies of the example from the command palette, watches them
// appear in the Copies view, and disposes them again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const suite = 'ui: copies';

async function runCommand(wb, page, label) {
  const row = await wb.findCommand(label);
  await row.click();
  await wb
    .quickInput()
    .waitFor({ state: 'hidden', timeout: 10_000 })
    .catch(() => {});
}

function treeRows(page) {
  return page
    .locator('.pane-body .monaco-list-row')
    .evaluateAll((rows) =>
      rows.map((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').trim()),
    );
}

/** The rows of master copy `name` and what is under it (the engine may hold other master copies' copies). */
function rowsOf(page, name) {
  return page.locator('.pane-body .monaco-list-row').evaluateAll((rows, name) => {
    const out = [];
    let inside = false;
    for (const r of rows) {
      const label = (r.getAttribute('aria-label') ?? r.textContent ?? '').trim();
      if (r.getAttribute('aria-level') === '1') inside = label.startsWith(`${name} `);
      if (inside) out.push(label);
    }
    return out;
  }, name);
}

export const checks = [
  {
    title: 'Print Copies shows running copies in the Copies view; Dispose removes them',
    async run({ wb, page, workspace, until }) {
      // A unique name, so this never meets a real transaction-service.
      const name = `ui-tx-${Date.now().toString(36)}`;
      const dir = join(workspace, 'transaction-service');
      cpSync(join(root, 'examples', 'transaction-service'), dir, { recursive: true });
      const file = join(dir, `${name}.mastercopy.yaml`);
      renameSync(join(dir, 'transaction-service.mastercopy.yaml'), file);
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .replace(/^name: .*$/m, `name: ${name}`)
          .replace(/^gateway: .*$/m, ''),
      );
      try {
        await wb.quickOpen(`${name}.mastercopy.yaml`);
        await until(
          'the master copy to be open',
          async () => (await wb.activeEditorTabLabel()) === `${name}.mastercopy.yaml`,
        );
        await runCommand(wb, page, 'Master Copy: Focus on Copies View');
        await until('the master copy in the Copies view', async () =>
          (await treeRows(page)).some((r) => r.includes(name)),
        );

        // Back to the editor, then print from the palette (it prints the active master copy).
        await page.locator('.part.editor .editor-instance .view-lines').first().click();
        await runCommand(wb, page, 'Master Copy: Print Copies');
        await until(
          'two healthy copies in the view',
          async () => {
            const rows = await rowsOf(page, name);
            return rows.filter((r) => /#[01]/.test(r) && /healthy/.test(r)).length === 2;
          },
          { timeoutMs: 90_000 },
        );
        const rows = await rowsOf(page, name);
        assert.ok(
          rows.some((r) => r.includes('1.0.0') && /2 copies · 2 running · 2 healthy/.test(r)),
          `the version row counts the copies (rows: ${rows.join(' | ')})`,
        );
        await until('the status bar to count them', async () =>
          /\d+ running/.test(
            await page
              .locator(
                '.statusbar-item[id="mastercopy.mastercopy.mastercopy.engine"], .statusbar-item[id*="mastercopy.engine"]',
              )
              .first()
              .innerText(),
          ),
        );
        await wb.screenshot('copies-view-running');

        await page.locator('.part.editor .editor-instance .view-lines').first().click();
        await runCommand(wb, page, 'Master Copy: Dispose');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 15_000 });
        assert.match(
          await dialog.innerText(),
          new RegExp(`Dispose 2 copies of ${name}:1\\.0\\.0\\?`),
        );
        await dialog.getByRole('button', { name: 'Dispose' }).click();
        await until(
          'the master copy to have no copies in the view',
          async () => (await treeRows(page)).some((r) => r.includes(name) && /no copies/.test(r)),
          { timeoutMs: 60_000 },
        );
        // With its last copy gone, the master copy's network goes too.
        // (The view may say so a moment before the dispose command has removed the network.)
        const networks = () =>
          new Promise((resolve, reject) =>
            execFile('docker', ['network', 'ls', '--format', '{{.Name}}'], (err, stdout) =>
              err ? reject(err) : resolve(stdout.split('\n')),
            ),
          );
        await until(
          `the network mastercopy-${name} to be removed`,
          async () => !(await networks()).includes(`mastercopy-${name}`),
          { timeoutMs: 15_000 },
        );
      } finally {
        await new Promise((resolve) =>
          execFile('docker', ['rm', '-f', `${name}_1.0.0_0`, `${name}_1.0.0_1`], () => resolve()),
        );
        await new Promise((resolve) =>
          execFile('docker', ['rmi', `${name}:1.0.0`], () => resolve()),
        );
        // Its print's desired-count records (volumes mastercopy.NAME.desired.N): the name is this test's own.
        const volumes = await new Promise((resolve) =>
          execFile(
            'docker',
            ['volume', 'ls', '-q', '--filter', `name=^mastercopy\\.${name}\\.`],
            (_e, out) =>
              resolve(
                String(out ?? '')
                  .split('\n')
                  .filter((v) => v.startsWith(`mastercopy.${name}.`)),
              ),
          ),
        );
        if (volumes.length)
          await new Promise((resolve) =>
            execFile('docker', ['volume', 'rm', ...volumes], () => resolve()),
          );
      }
    },
  },
];
