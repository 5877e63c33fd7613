// The preview beside the editor, inside a real VS Code with the real engine: it shows the
// plan and summary of the current file, follows edits and the active editor, keeps the
// last valid state of a broken file, escapes what the file says, and acts on the page's
// messages only as it should (commands never in an untrusted workspace).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MasterCopyApi } from '../../../src/vscode/extension';
import { Log } from '../../../src/vscode/log';
import { MasterCopyPreview, type PreviewApi } from '../../../src/vscode/preview/masterCopyPreview';
import type { PreviewSnapshot } from '../../../src/vscode/preview/previewPanel';
import { removeImage } from '../support/docker';
import {
  activateWithEngine,
  EXTENSION_ID,
  httpMasterCopy,
  uniqueName,
  writeWorkspaceFile,
} from '../support/fixture';
import { until } from '../support/until';

const name = uniqueName('pv');
const text = (version = '1.0.0', copies = 2, description = 'Preview test') =>
  httpMasterCopy(name, {
    version,
    copies,
    fastHealth: false,
    extra: `description: ${JSON.stringify(description)}\n`,
  });

/** Replaces the whole text of the open document (like typing it, without saving). */
async function setText(editor: vscode.TextEditor, content: string): Promise<void> {
  const doc = editor.document;
  const ok = await editor.edit((e) =>
    e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), content),
  );
  assert.ok(ok, 'the edit applied');
}

function previewTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter(
      (t) =>
        t.input instanceof vscode.TabInputWebview &&
        t.input.viewType.endsWith('mastercopy.preview'),
    );
}

describe('preview beside the editor (real engine)', function () {
  this.timeout(90_000);
  let api: MasterCopyApi & { preview?: PreviewApi };
  let preview: PreviewApi;
  let uri: vscode.Uri;
  let editor: vscode.TextEditor;

  /** What the panel shows once `probe` holds for it. */
  function shows(
    what: string,
    probe: (s: PreviewSnapshot) => boolean,
    timeoutMs = 20_000,
  ): Promise<PreviewSnapshot> {
    return until(
      `the preview to show ${what}`,
      () => {
        const s = preview.current();
        return s && s.uri === uri.toString() && probe(s) && s;
      },
      timeoutMs,
    );
  }

  before(async () => {
    api = await activateWithEngine();
    uri = await writeWorkspaceFile(`${name}.mastercopy.yaml`, text());
    editor = await vscode.window.showTextDocument(uri);
    const opened = (await vscode.commands.executeCommand('mastercopy.openPreview')) as PreviewApi;
    // The extension's API carries it too once MasterCopyApi has `preview`.
    preview = api.preview ?? opened;
    assert.ok(preview, 'the command gives the preview');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    await removeImage(`${name}:1.0.0`);
  });

  it('opens one panel beside the editor, showing the plan and the summary of the current file', async () => {
    const s = await shows('the plan', (x) => !!x.model.plan);
    const { model } = s;
    assert.equal(model.valid, true);
    assert.equal(model.stale, false);
    assert.equal(model.summary?.name, name);
    assert.equal(model.summary?.version, '1.0.0');
    assert.equal(model.summary?.copies, 2);
    assert.deepEqual(model.summary?.ports, ['8080/tcp']);
    assert.equal(
      model.plan?.engine.reachable,
      true,
      `the engine runs during this suite (${model.plan?.engine.error ?? ''})`,
    );
    assert.ok(
      ['would-build', 'up-to-date'].includes(model.plan!.build.state),
      model.plan!.build.state,
    );
    assert.equal(model.plan?.build.tag, `${name}:1.0.0`);
    assert.equal(model.plan?.print.copies, 2);
    assert.deepEqual(model.copies, []);
    assert.equal(s.trusted, true);

    // The document: strict policy with a nonce, our script and styles, the sections, buttons.
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(s.html)?.[1];
    assert.ok(csp, 'a Content-Security-Policy');
    assert.match(csp, /^default-src 'none'; /);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, 'a nonce');
    assert.match(
      s.html,
      new RegExp(
        `<script nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}" src="[^"]+/media/preview/preview\\.js"></script>`,
      ),
    );
    assert.match(s.html, /href="[^"]+\/dist\/codicons\/codicon\.css"/);
    for (const section of ['summary', 'plan', 'copies', 'dockerfile', 'context', 'problems'])
      assert.ok(s.html.includes(`data-section="${section}"`), `the ${section} section`);
    for (const command of ['build', 'print', 'tailLogs'])
      assert.ok(s.html.includes(`data-command="${command}"`), `the ${command} button`);
    assert.ok(s.html.includes(name));

    // The extension host's tab model follows the workbench's a moment later.
    const tabs = await until('the preview tab', () => previewTabs().length > 0 && previewTabs());
    assert.equal(tabs.length, 1, 'one preview panel');
    await until('the tab title', () => previewTabs()[0].label === `Preview ${name}`);
    assert.notEqual(tabs[0].group.viewColumn, editor.viewColumn, 'beside the editor');
    assert.equal(
      vscode.window.activeTextEditor?.document.uri.toString(),
      uri.toString(),
      'the editor keeps the focus',
    );

    // Opening it again reveals the same panel.
    await vscode.commands.executeCommand('mastercopy.openPreview', uri);
    assert.equal(previewTabs().length, 1, 'still one preview panel');
  });

  it('follows edits: copies and version as they are typed', async () => {
    const before = preview.current()!.renders;
    await setText(editor, text('1.0.0', 3));
    let s = await shows(
      '3 copies',
      (x) => x.model.summary?.copies === 3 && x.model.plan?.print.copies === 3,
    );
    assert.ok(s.renders > before, 'rendered again');
    assert.match(s.html, /Print ×3/);
    await setText(editor, text('1.1.0', 3));
    s = await shows(
      'version 1.1.0',
      (x) => x.model.summary?.version === '1.1.0' && x.model.plan?.build.tag === `${name}:1.1.0`,
    );
    assert.equal(s.model.plan?.build.state, 'would-build');
    await setText(editor, text());
    await shows(
      'the original text again',
      (x) => x.model.summary?.version === '1.0.0' && x.model.summary.copies === 2,
    );
  });

  it('shows the problems of a broken file beside its last valid state, and a click on one selects its range', async () => {
    const broken = text()
      .replace(`name: ${name}`, 'name: Bad_Name')
      .replace('copies: 2', 'copies: 0');
    await setText(editor, broken);
    const s = await shows('two problems', (x) => !x.model.valid && x.model.problems.length === 2);
    assert.equal(s.model.stale, true, 'the last valid state is kept');
    assert.equal(s.model.summary?.name, name, 'the summary of the last valid state');
    assert.ok(s.model.plan, 'the plan of the last valid state');
    assert.match(s.html, /last valid state/);
    assert.match(s.html, /class="sections stale"/);
    assert.match(s.html, /data-command="build"[^>]* disabled>/, 'Build is disabled');
    const nameProblem = s.model.problems.find((p) => /name/.test(p.message))!;
    assert.ok(
      s.html.includes(
        `data-reveal-start="${nameProblem.start}" data-reveal-end="${nameProblem.end}"`,
      ),
      'the problem is clickable',
    );

    // The click, as the page posts it: the editor selects exactly that range.
    assert.equal(
      await preview.receive({ type: 'reveal', start: nameProblem.start, end: nameProblem.end }),
      'revealed',
    );
    const active = vscode.window.activeTextEditor!;
    assert.equal(active.document.uri.toString(), uri.toString());
    assert.equal(active.document.getText(active.selection), 'Bad_Name');
    assert.notEqual(
      active.viewColumn,
      previewTabs()[0].group.viewColumn,
      'in the editor, not over the preview',
    );

    // Anything else the page could post is ignored.
    for (const forged of [
      { type: 'reveal', start: 0, end: 1e9 },
      { type: 'reveal', start: 5, end: 2 },
      { type: 'command', command: 'dispose' },
      { type: 'command', command: 'build', extra: 1 },
      'build',
      null,
    ]) {
      assert.equal(await preview.receive(forged), 'ignored', JSON.stringify(forged));
    }

    await setText(editor, text());
    const fixed = await shows(
      'the file valid again',
      (x) => x.model.valid && !x.model.stale && x.model.problems.length === 0,
    );
    assert.doesNotMatch(fixed.html, /class="sections stale"/);
  });

  it('escapes what the master copy says: a <script> in the description is text', async () => {
    await setText(
      editor,
      text('1.0.0', 2, `<script>alert("pwned")</script> & <img src=x onerror=alert(1)>`),
    );
    const s = await shows('the new description', (x) =>
      /pwned/.test(x.model.summary?.description ?? ''),
    );
    assert.ok(
      s.html.includes(
        '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;',
      ),
      'escaped',
    );
    assert.equal(s.html.match(/<script\b/g)?.length, 1, 'only our own script tag');
    assert.doesNotMatch(s.html, /<img/);
    await setText(editor, text());
    await shows(
      'the plain description again',
      (x) => x.model.summary?.description === 'Preview test',
    );
  });

  it('Build on the page builds the image and the plan becomes up to date', async () => {
    await editor.document.save();
    assert.equal(await preview.receive({ type: 'command', command: 'build' }), 'ran');
    const s = await shows('up to date', (x) => x.model.plan?.build.state === 'up-to-date', 60_000);
    assert.match(s.html, /up to date/);
  });

  it('says when the engine is down, and still shows what the file makes', async () => {
    const config = vscode.workspace.getConfiguration('mastercopy');
    await config.update(
      'dockerHost',
      'unix:///tmp/mastercopy-no-engine.sock',
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      const s = await shows('engine down', (x) => x.model.plan?.engine.reachable === false);
      assert.equal(s.model.plan?.build.state, 'engine-down');
      assert.equal(s.model.summary?.name, name, 'the summary is still there');
      assert.ok(
        s.model.dockerfile?.text.includes('FROM busybox:stable'),
        'the Dockerfile is still there',
      );
      assert.match(s.html, /engine down/);
      assert.match(s.html, /mastercopy-no-engine\.sock/);
    } finally {
      await config.update('dockerHost', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await shows('the engine back', (x) => x.model.plan?.engine.reachable === true);
  });

  it('follows the active editor to another master copy', async () => {
    const other = await writeWorkspaceFile(
      `${name}-other.mastercopy.yaml`,
      text('2.0.0', 1).replace(`name: ${name}`, `name: ${name}-other`),
    );
    try {
      await vscode.window.showTextDocument(other, { viewColumn: editor.viewColumn });
      const s = await until('the preview to follow the other file', () => {
        const x = preview.current();
        return x && x.uri === other.toString() && x.model.summary?.name === `${name}-other` && x;
      });
      assert.equal(s.model.summary?.version, '2.0.0');
      await until(
        'the tab title to follow',
        () => previewTabs()[0]?.label === `Preview ${name}-other`,
      );
      editor = await vscode.window.showTextDocument(uri, { viewColumn: editor.viewColumn });
      await shows('the first file again', (x) => x.model.summary?.name === name);
    } finally {
      await vscode.workspace.fs.delete(other).then(undefined, () => undefined);
    }
  });

  it('in an untrusted workspace: read-only, no engine, and commands from the page are refused', async () => {
    const ran: string[] = [];
    const log = new Log('Master Copy Preview Test');
    const untrusted = new MasterCopyPreview(api.diagnostics, {
      extensionUri: vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri,
      log,
      engine: () => api.engine,
      isTrusted: () => false,
      async runCommand(id) {
        ran.push(id);
        return true;
      },
    });
    try {
      await untrusted.open(uri);
      const s = await until('the untrusted preview', () => untrusted.current());
      assert.equal(s.trusted, false);
      assert.equal(s.model.plan?.engine.reachable, false);
      assert.match(s.model.plan?.engine.error ?? '', /untrusted workspace/);
      assert.equal(s.model.plan?.build.state, 'engine-down');
      assert.doesNotMatch(s.html, /data-command=/, 'no buttons');
      assert.match(s.html, /Restricted Mode/);
      for (const command of ['build', 'print', 'tailLogs'])
        assert.equal(await untrusted.receive({ type: 'command', command }), 'refused');
      assert.deepEqual(ran, [], 'nothing ran');
    } finally {
      untrusted.dispose();
      log.dispose();
    }
  });
});
