// Drives the VS Code web workbench the way a person does: keyboard shortcuts, typing,
// reading what is on screen. Every wait polls a visible condition with a deadline.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export class Workbench {
  /** @param {import('playwright-core').Page} page */
  constructor(page, { screenshotDir }) {
    this.page = page;
    this.screenshotDir = screenshotDir;
  }

  /** Waits until the workbench is usable: its parts are there and the explorer shows the folder's files. */
  async ready({ timeoutMs = 60_000 } = {}) {
    const p = this.page;
    await p
      .locator('.monaco-workbench .part.statusbar')
      .waitFor({ state: 'visible', timeout: timeoutMs });
    await p
      .locator('.explorer-folders-view .monaco-list-row')
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs });
    // Keyboard shortcuts go to whatever has focus: give it to the workbench.
    await p.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
  }

  quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  /** The labels of the rows the open quick input lists right now. */
  async quickInputRows() {
    return this.quickInput()
      .locator('.monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  }

  /**
   * Opens a quick input with `key`, types `text` and waits for a row that mentions it.
   * The list is computed when the input opens; while the workbench is still starting
   * (extensions registering, files being indexed) it can lack the row, so like a person
   * this closes the input and tries again until the deadline. Returns the row.
   */
  async pick(key, text, { timeoutMs = 30_000, what = `"${text}"` } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press(key);
      await this.quickInput().waitFor({ state: 'visible', timeout: 10_000 });
      await this.page.keyboard.type(text);
      const row = this.quickInput().locator('.monaco-list-row', { hasText: text }).first();
      try {
        await row.waitFor({
          state: 'visible',
          timeout: Math.min(3_000 * attempt, Math.max(deadline - Date.now(), 1)),
        });
        return row;
      } catch {
        if (Date.now() >= deadline) {
          const listed = await this.quickInputRows().catch(() => []);
          throw new Error(
            `${what} is not listed after ${timeoutMs} ms (it lists: ${listed.slice(0, 8).join(' | ') || 'nothing'})`,
          );
        }
        await this.closeQuickInput();
      }
    }
  }

  /** Ctrl+P, types `text`, waits for a row that mentions it, Enter. */
  async quickOpen(text, options) {
    await this.pick('Control+P', text, { what: `Quick Open's ${text}`, ...options });
    await this.page.keyboard.press('Enter');
    await this.quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** F1, types `label` ("Category: Title") and returns its row in the command palette (Enter or a click runs it). */
  findCommand(label, options) {
    return this.pick('F1', label, { what: `the command palette's "${label}"`, ...options });
  }

  async closeQuickInput() {
    if (await this.quickInput().isVisible()) {
      await this.page.keyboard.press('Escape');
      await this.quickInput().waitFor({ state: 'hidden', timeout: 5_000 });
    }
  }

  /** The editor tab for the file named `name` (a locator; may not exist). */
  editorTab(name) {
    // The tab shows the name in two parts ("hello.mastercopy" + ".yaml") and its aria-label
    // gains ", preview" for a preview tab; data-resource-name is the plain file name.
    return this.page.locator(`.part.editor .tabs-container .tab[data-resource-name="${name}"]`);
  }

  /** The file name on the active editor tab, or null when no editor is open. */
  async activeEditorTabLabel() {
    const tab = this.page.locator('.part.editor .tabs-container .tab.active').first();
    return (await tab.count()) ? tab.getAttribute('data-resource-name', { timeout: 5_000 }) : null;
  }

  /** The visible text of the active editor (what a person reads, line by line). */
  async activeEditorText() {
    const text = await this.page
      .locator('.part.editor .editor-instance .view-lines')
      .first()
      .innerText({ timeout: 5_000 });
    return text.replace(/\u00a0/g, ' '); // the editor renders spaces as no-break spaces
  }

  /** The language mode the status bar shows for the active editor, e.g. "Master Copy". */
  async statusBarLanguage() {
    return (
      await this.page.locator('#status\\.editor\\.mode').first().innerText({ timeout: 5_000 })
    ).trim();
  }

  /** Texts of the notification toasts on screen now. */
  async notifications() {
    return this.page
      .locator('.notifications-toasts .notification-list-item')
      .evaluateAll((items) =>
        items.map((i) => (i.getAttribute('aria-label') ?? i.textContent ?? '').trim()),
      );
  }

  /** The text of the modal dialog on screen, or null. */
  async dialog() {
    const box = this.page.locator('.monaco-dialog-box').first();
    return (await box.isVisible()) ? (await box.innerText()).trim() : null;
  }

  async dismissDialog() {
    const box = this.page.locator('.monaco-dialog-box').first();
    if (await box.isVisible()) {
      await this.page.keyboard.press('Escape');
      await box.waitFor({ state: 'hidden', timeout: 5_000 });
    }
  }

  /** Ctrl+G to a 1-based line of the active editor, then to its end. */
  async goToLineEnd(line) {
    await this.page.keyboard.press('Control+G');
    await this.quickInput().waitFor({ state: 'visible', timeout: 10_000 });
    await this.page.keyboard.type(String(line));
    await this.page.keyboard.press('Enter');
    await this.quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
    await this.page.keyboard.press('End');
  }

  async screenshot(name) {
    mkdirSync(this.screenshotDir, { recursive: true });
    const file = join(this.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
