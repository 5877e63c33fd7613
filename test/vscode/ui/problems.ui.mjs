// A person opens the example, sees no problems, breaks it, and sees exactly
// what is wrong: squiggles in the editor and the messages in the Problems panel.
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FILE = 'transaction-service.mastercopy.yaml';

export const suite = 'ui: problems in the example';

/** Rows of the Problems panel that belong to our file (its header row excluded). */
async function problemRows(page) {
  return page
    .locator('.markers-panel .monaco-list-row')
    .evaluateAll((rows) =>
      rows
        .map((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').trim())
        .filter((t) => !/problems? in file/.test(t)),
    );
}

export const checks = [
  {
    title:
      'the example shows no problems; breaking it shows squiggles and exact messages in the Problems panel',
    async run({ wb, page, workspace, until }) {
      cpSync(
        join(root, 'examples', 'transaction-service'),
        join(workspace, 'transaction-service'),
        { recursive: true },
      );
      const lines = readFileSync(join(root, 'examples', 'transaction-service', FILE), 'utf8').split(
        '\n',
      );
      const nameLine = lines.findIndex((l) => l.startsWith('name:')) + 1;
      const copiesLine = lines.findIndex((l) => l.startsWith('copies:')) + 1;
      assert.ok(nameLine > 0 && copiesLine > 0, 'the example has name: and copies: lines');

      await wb.quickOpen(FILE);
      await until('the example to be open', async () => (await wb.activeEditorTabLabel()) === FILE);
      await until(
        'the language to be Master Copy',
        async () => (await wb.statusBarLanguage()) === 'Master Copy',
      );
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 10_000 });
      // The extension validates on open; a valid example leaves the panel empty.
      await until('the Problems panel to say there are no problems', async () =>
        /No problems have been detected/.test(await page.locator('.markers-panel').innerText()),
      );
      await wb.screenshot('example-valid');

      // Break it like a person would: a capital letter in the name, no copies.
      await page.locator('.part.editor .editor-instance .view-lines').first().click();
      await wb.goToLineEnd(nameLine);
      await page.keyboard.type('_V2');
      await wb.goToLineEnd(copiesLine);
      await page.keyboard.press('Backspace');
      await page.keyboard.type('0');

      // While typing there are passing states (`copies:` with nothing after it): wait for the last one.
      const rows = await until('the two problems in the Problems panel', async () => {
        const r = await problemRows(page);
        return r.length === 2 && /it is 0/.test(r.join('\n')) && r;
      });
      const text = rows.join('\n');
      assert.match(text, /`name` must be a lowercase DNS label/);
      assert.match(text, /`copies` must be at least 1 \(1–1000\); it is 0/);
      // Each broken line shows a squiggle when it is on screen.
      for (const line of [nameLine, copiesLine]) {
        await wb.goToLineEnd(line);
        await until(
          `a squiggle on line ${line}`,
          async () => (await page.locator('.part.editor .squiggly-error').count()) >= 1,
        );
      }
      await wb.screenshot('example-with-problems');
    },
  },
];
