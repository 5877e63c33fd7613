// A person runs the extension's commands from the command palette.
import assert from 'node:assert/strict';

export const suite = 'ui: command palette';

export const checks = [
  {
    title:
      'F1 > "Master Copy: New Master Copy" asks for a name, then creates and opens NAME.mastercopy.yaml',
    async run({ wb, until }) {
      const row = await wb.findCommand('Master Copy: New Master Copy');
      await row.click();

      // What the UI shows next: the name prompt, or an error (dialog or toast).
      const shown = await until('the UI to react to "Master Copy: New Master Copy"', async () => {
        const dialog = await wb.dialog();
        if (dialog) return { error: dialog };
        const toast = (await wb.notifications()).find((t) => /error|not found|failed/i.test(t));
        if (toast) return { error: toast };
        if (await wb.quickInput().isVisible()) {
          const text = (await wb.quickInput().innerText()).trim();
          // Still the palette itself, closing as the command starts: keep waiting.
          if (!text.includes('Master Copy: New Master Copy')) return { prompt: text };
        }
        return undefined;
      });
      await wb.screenshot('new-master-copy-prompt');
      assert.equal(shown.error, undefined, 'no error dialog or notification');
      assert.match(shown.prompt, /New Master Copy/, 'the prompt is titled New Master Copy');
      assert.match(
        shown.prompt,
        /Name of the server/i,
        'the prompt asks for the name of the server',
      );

      // The suggested name is selected: typing replaces it.
      await wb.page.keyboard.type('ui-made');
      await wb.page.keyboard.press('Enter');
      await wb.editorTab('ui-made.mastercopy.yaml').waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(
        await wb.activeEditorTabLabel(),
        'ui-made.mastercopy.yaml',
        'the new file is the active editor',
      );
      await until('the new file to say name: ui-made', async () =>
        /^name: ui-made$/m.test(await wb.activeEditorText()),
      );
      await until('the explorer to list the new file', () =>
        wb.page
          .locator('.explorer-folders-view .monaco-list-row[aria-label="ui-made.mastercopy.yaml"]')
          .isVisible(),
      );
      await until(
        'the status bar to show the language "Master Copy"',
        async () => (await wb.statusBarLanguage()) === 'Master Copy',
      );
      await wb.screenshot('new-master-copy');
      assert.deepEqual(await wb.notifications(), [], 'no notifications');
    },
  },
];
