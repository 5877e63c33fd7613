// A person opens a master copy in the editor.
import assert from 'node:assert/strict';

export const suite = 'ui: open a master copy';

export const checks = [
  {
    title: 'Quick Open opens hello.mastercopy.yaml in an editor tab, as Master Copy',
    async run({ wb, until }) {
      await wb.quickOpen('hello.mastercopy.yaml');
      await wb.editorTab('hello.mastercopy.yaml').waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(
        await wb.activeEditorTabLabel(),
        'hello.mastercopy.yaml',
        'the active editor tab',
      );
      await until('the editor to show the file', async () =>
        /name: hello/.test(await wb.activeEditorText()),
      );
      // The status bar names the language the extension contributes for *.mastercopy.yaml.
      await until(
        'the status bar to show the language "Master Copy"',
        async () => (await wb.statusBarLanguage()) === 'Master Copy',
      );
      await wb.screenshot('quick-open-hello');
    },
  },
];
