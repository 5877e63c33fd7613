// A person opens a folder they have not trusted (workspace trust on, Restricted Mode) and
// finds the language features only: validation, the preview read-only; nothing that
// talks to a container engine — no Copies view, no engine commands, no code lenses, no
// engine status. Screenshot: untrusted-restricted.png.
import assert from 'node:assert/strict';

export const suite = 'ui: an untrusted folder (Restricted Mode)';
/** This file's checks run on a code-server with workspace trust on. */
export const server = { workspaceTrust: true };

const FILE = 'hello.mastercopy.yaml';

export const checks = [
  {
    title:
      'language features work; no Copies view, no engine commands, lenses or status; the preview has no buttons',
    async run({ wb, page, until }) {
      const statusbar = page.locator('.part.statusbar');
      await until(
        'the Restricted Mode indicator',
        async () => /Restricted Mode/.test(await statusbar.innerText()),
        { timeoutMs: 30_000 },
      );

      await wb.quickOpen(FILE);
      await until('the file to be open', async () => (await wb.activeEditorTabLabel()) === FILE);
      await until(
        'the language to be Master Copy',
        async () => (await wb.statusBarLanguage()) === 'Master Copy',
      );

      // Validation runs (the extension is active here): break the name, see the problem.
      await page
        .locator('.part.editor .editor-instance .view-lines')
        .first()
        .click({ position: { x: 40, y: 10 } });
      await wb.goToLineEnd(2);
      await page.keyboard.type('_X');
      await page.keyboard.press('Control+Shift+M');
      const problems = page.locator('.markers-panel');
      await until(
        'the problem in the Problems panel',
        async () => /lowercase DNS label/.test(await problems.innerText()),
        { timeoutMs: 15_000 },
      );
      await wb.screenshot('untrusted-restricted');

      // Nothing of the engine: no view container, no lens, no "n running" in the status bar.
      assert.equal(
        await page.locator('.part.activitybar .action-item a[aria-label^="Master Copy"]').count(),
        0,
        'no Master Copy view in the activity bar',
      );
      assert.equal(
        await page.locator('.part.editor .codelens-decoration').count(),
        0,
        'no code lenses (they offer engine actions)',
      );
      assert.doesNotMatch(
        await statusbar.innerText(),
        /\d+ running|engine/i,
        'no engine status in the status bar',
      );

      // The palette offers the preview, and none of the engine commands.
      await wb.findCommand('Master Copy: Open Preview to the Side');
      await wb.closeQuickInput();
      await page.keyboard.press('F1');
      await wb.quickInput().waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.type('Master Copy:');
      const rows = await until('the Master Copy commands listed', async () => {
        const r = await wb.quickInputRows();
        return r.some((t) => /Open Preview/.test(t)) && r;
      });
      await wb.closeQuickInput();
      // Rows read "Master Copy: TITLE" (so the absences below are not a matter of format).
      assert.ok(
        rows.some((t) => t.includes('Master Copy: Open Preview to the Side')),
        rows.join(' | '),
      );
      const engineCommands = [
        'Build',
        'Print Copies',
        'Promote',
        'Roll Back…',
        'Scale',
        'Dispose',
        'Tail Logs',
        'Filter Log Tail',
        'Refresh Copies',
        'Retry Engine Connection',
      ];
      for (const engineCommand of engineCommands.map((t) => `Master Copy: ${t}`)) {
        assert.ok(
          !rows.some((t) => t.includes(engineCommand)),
          `"${engineCommand}" is not offered (listed: ${rows.join(' | ')})`,
        );
      }

      // The preview opens, read-only: no buttons, and it says why the engine is not asked.
      await page.keyboard.press('Control+Z');
      await page.keyboard.press('Control+Z');
      await (await wb.findCommand('Master Copy: Open Preview to the Side')).click();
      const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      await preview
        .locator('[data-section="summary"]')
        .waitFor({ state: 'visible', timeout: 30_000 });
      await until(
        'the page to say why there is no engine',
        async () =>
          /untrusted workspace never talks to a container engine/.test(
            await preview.locator('body').innerText(),
          ),
        { timeoutMs: 15_000 },
      );
      assert.match(
        await preview.locator('body').innerText(),
        /Restricted Mode: this preview is read-only/,
      );
      assert.equal(
        await preview.locator('button[data-command]').count(),
        0,
        'no action buttons in Restricted Mode',
      );
      await wb.screenshot('untrusted-preview');
    },
  },
];
