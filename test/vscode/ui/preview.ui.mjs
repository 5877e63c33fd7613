// A person opens the example, runs "Master Copy: Open Preview to the Side" from the
// palette and reads the preview beside the editor; breaks the file, clicks the problem in
// the preview and fixes it; changes the copies; then switches to a light theme.
// Screenshots to look at: preview-dark, preview-dark-dockerfile, preview-dark-problems,
// preview-light, preview-light-dockerfile (.png).
import assert from 'node:assert/strict';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const suite = 'ui: preview';

/** The preview's page: webviews are an iframe in the workbench holding the page's iframe. */
function previewPage(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Scrolls the page to `locator`; again if an update swapped the body meanwhile. */
function scrollTo(until, locator) {
  return until('the page to scroll', () =>
    locator.scrollIntoViewIfNeeded({ timeout: 2_000 }).then(() => true),
  );
}

async function runCommand(wb, label) {
  const row = await wb.findCommand(label);
  await row.click();
  await wb
    .quickInput()
    .waitFor({ state: 'hidden', timeout: 10_000 })
    .catch(() => {});
}

/** Preferences: Color Theme → `label`, then waits for the workbench's theme class. */
async function chooseTheme(wb, page, until, label, workbenchClass) {
  // (Enter right away would run the first row, which can be "Browse Color Themes in Marketplace".)
  await (await wb.findCommand('Preferences: Color Theme')).click();
  await wb
    .quickInput()
    .locator('.monaco-list-row', { hasText: 'Modern' })
    .first()
    .waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type(label);
  await wb
    .quickInput()
    .locator('.monaco-list-row', { hasText: label })
    .first()
    .waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.press('Enter');
  await wb.quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
  await until(`the workbench to use ${label}`, async () =>
    workbenchClass.test((await page.locator('.monaco-workbench').getAttribute('class')) ?? ''),
  );
}

export const checks = [
  {
    title:
      'Open Preview to the Side shows the summary, the plan and the Dockerfile beside the editor, in a dark and a light theme',
    async run({ wb, page, workspace, until }) {
      // A unique name, so this never meets a real transaction-service.
      const name = `ui-pv-${Date.now().toString(36)}`;
      const dir = join(workspace, 'transaction-service');
      cpSync(join(root, 'examples', 'transaction-service'), dir, { recursive: true });
      const file = join(dir, `${name}.mastercopy.yaml`);
      renameSync(join(dir, 'transaction-service.mastercopy.yaml'), file);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^name: .*$/m, `name: ${name}`));

      await wb.quickOpen(`${name}.mastercopy.yaml`);
      await until(
        'the master copy to be open',
        async () => (await wb.activeEditorTabLabel()) === `${name}.mastercopy.yaml`,
      );
      await runCommand(wb, 'Master Copy: Open Preview to the Side');

      const preview = previewPage(page);
      const summary = preview.locator('[data-section="summary"]');
      await summary.waitFor({ state: 'visible', timeout: 30_000 });
      await until(
        'the plan with the engine',
        async () =>
          /would build|up to date/.test(await preview.locator('[data-section="plan"]').innerText()),
        { timeoutMs: 30_000 },
      );
      const title = await preview.locator('.preview-header h1').innerText();
      assert.match(title, new RegExp(`${name}\\s+1\\.0\\.0`));
      assert.match(await summary.innerText(), /busybox:stable/);
      assert.match(
        await preview.locator('[data-section="dockerfile"]').innerText(),
        /FROM busybox:stable/,
      );
      assert.ok(
        await preview.locator('button[data-command="build"]').isVisible(),
        'a Build button (trusted workspace)',
      );
      // Codicons come from the extension: the font is loaded and an icon has a width.
      await until(
        'the codicon font',
        async () =>
          (await preview.locator('.preview-header .codicon').first().boundingBox())?.width > 0,
      );

      // Beside the editor: two editor groups, the preview's tab in the second.
      assert.equal(
        await page.locator('.part.editor .editor-group-container').count(),
        2,
        'two editor groups',
      );
      const tab = page.locator('.part.editor .tabs-container .tab', { hasText: `Preview ${name}` });
      assert.equal(await tab.count(), 1, 'one preview tab');
      assert.equal(
        await wb.activeEditorTabLabel(),
        `${name}.mastercopy.yaml`,
        'the editor keeps the focus',
      );
      // The browser may ask for a light scheme: choose the dark theme explicitly first.
      await chooseTheme(wb, page, until, 'Dark Modern', /(^|\s)vs-dark(\s|$)/);
      await until('the preview to be dark', async () =>
        (await preview.locator('body').getAttribute('class'))?.includes('vscode-dark'),
      );
      await wb.screenshot('preview-dark');
      await scrollTo(until, preview.locator('[data-section="dockerfile"]'));
      await wb.screenshot('preview-dark-dockerfile');

      // Break the name: the page shows the problem above the last valid state, as it is typed.
      const lines = readFileSync(file, 'utf8').split('\n');
      const nameLine = lines.findIndex((l) => l.startsWith('name:')) + 1;
      const copiesLine = lines.findIndex((l) => l.startsWith('copies:')) + 1;
      // Into the editor near its top left: the centre of .view-lines (as wide as the longest
      // line) can be out of a narrow editor, and a click there would scroll it sideways.
      await page
        .locator('.part.editor .editor-instance .view-lines')
        .first()
        .click({ position: { x: 40, y: 10 } });
      await wb.goToLineEnd(nameLine);
      await page.keyboard.type('_X');
      const problem = preview.locator('[data-section="problems"] a.reveal', {
        hasText: 'lowercase DNS label',
      });
      await problem.waitFor({ state: 'visible', timeout: 15_000 });
      await scrollTo(until, preview.locator('[data-section="problems"]'));
      assert.match(await preview.locator('.banner-warn').innerText(), /last valid state/);
      assert.ok(
        await preview.locator('button[data-command="build"]').isDisabled(),
        'Build is disabled while the file has errors',
      );
      await wb.screenshot('preview-dark-problems');

      // A click on the problem selects the bad value in the editor; typing replaces it.
      await problem.click();
      const selected = `${name}_X`.length;
      await until('the bad name selected in the editor', async () =>
        new RegExp(`\\(${selected} selected\\)`).test(
          await page.locator('#status\\.editor\\.selection').innerText(),
        ),
      );
      await page.keyboard.type(name);
      await until(
        'the preview valid again',
        async () =>
          (await preview.locator('.preview-header .badge').first().innerText()) === 'valid',
      );

      // Edit the copies: the preview follows without a reload.
      await wb.goToLineEnd(copiesLine);
      await page.keyboard.press('Backspace');
      await page.keyboard.type('3');
      await until(
        'the preview to say Print ×3',
        async () => /Print ×3/.test(await preview.locator('.actions').innerText()),
        { timeoutMs: 15_000 },
      );
      await page.keyboard.press('Control+Home');
      await scrollTo(until, preview.locator('.preview-header'));

      // A light theme, chosen the way a person does.
      await chooseTheme(wb, page, until, 'Light Modern', /(^|\s)vs(\s|$)/);
      // The page gets the theme's colours too.
      await until('the preview to be light', async () =>
        (await preview.locator('body').getAttribute('class'))?.includes('vscode-light'),
      );
      await wb.screenshot('preview-light');
      await scrollTo(until, preview.locator('[data-section="dockerfile"]'));
      await wb.screenshot('preview-light-dockerfile');
    },
  },
  {
    title:
      'after the window reloads, the preview is back beside the editor, showing the same master copy',
    async run({ wb, page, workspace, until }) {
      const name = `ui-pr-${Date.now().toString(36)}`;
      const file = join(workspace, `${name}.mastercopy.yaml`);
      writeFileSync(
        file,
        `mastercopy: 1\nname: ${name}\nversion: "2.0.0"\nfrom: busybox:stable\ncopies: 2\n`,
      );
      await wb.quickOpen(`${name}.mastercopy.yaml`);
      await until(
        'the master copy to be open',
        async () => (await wb.activeEditorTabLabel()) === `${name}.mastercopy.yaml`,
      );
      await runCommand(wb, 'Master Copy: Open Preview to the Side');
      const tab = () =>
        page.locator('.part.editor .tabs-container .tab', { hasText: `Preview ${name}` });
      await until('the preview tab', async () => (await tab().count()) === 1, {
        timeoutMs: 30_000,
      });
      await previewPage(page)
        .locator('.preview-header h1', { hasText: name })
        .waitFor({ state: 'visible', timeout: 30_000 });

      // What a person does after installing an update or changing a setting that asks for it.
      // (The command, not page.reload(): VS Code saves the window's state on its way out.)
      const loaded = page.waitForEvent('load', { timeout: 60_000 });
      await runCommand(wb, 'Developer: Reload Window');
      await loaded;
      await wb.ready();
      await until(
        'the preview tab back after the reload',
        async () => (await tab().count()) === 1,
        { timeoutMs: 60_000 },
      );
      await tab().click();
      const header = previewPage(page).locator('.preview-header h1');
      await header.waitFor({ state: 'visible', timeout: 60_000 });
      assert.match(await header.innerText(), new RegExp(`${name}\\s+2\\.0\\.0`));
      assert.match(
        await previewPage(page).locator('.actions').innerText(),
        /Print ×2/,
        'a working preview, not an empty panel',
      );
      await wb.screenshot('preview-restored');
    },
  },
];
