// Language features inside a real VS Code: diagnostics with exact ranges as you
// type, completion and hover from the schema, and the New Master Copy command.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { until } from '../support/until';

function root(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri;
}

async function writeAndOpen(name: string, text: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(root(), name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc);
}

function problems(uri: vscode.Uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'mastercopy');
}

const VALID = `mastercopy: 1
name: shop
version: "1.0.0"
from: busybox:stable
command: ["/bin/httpd", "-f", "-p", "8080"]
ports: [8080]
`;

describe('language features', () => {
  before(async () => {
    await vscode.extensions.getExtension('mastercopy.mastercopy')!.activate();
  });

  it('gives a master copy file the mastercopy language', async () => {
    const editor = await writeAndOpen('lang.mastercopy.yaml', VALID);
    assert.equal(editor.document.languageId, 'mastercopy');
  });

  it('shows no problems for a valid master copy', async () => {
    const editor = await writeAndOpen('valid.mastercopy.yaml', VALID);
    // Break it, then repair it: problems appear and go away again.
    await editor.edit((e) => e.replace(new vscode.Range(1, 6, 1, 10), 'Shop'));
    await until('a problem for the bad name', () => problems(editor.document.uri).length === 1);
    await editor.edit((e) => e.replace(new vscode.Range(1, 6, 1, 10), 'shop'));
    await until('the problems to go away', () => problems(editor.document.uri).length === 0);
  });

  it('reports problems of an invalid master copy at their exact ranges', async () => {
    const text = [
      'mastercopy: 1', //                 0
      'name: shop', //                    1
      'version: 1.4', //                  2  number, not string
      'from: busybox:stable', //          3
      'prots: [8080]', //                 4  unknown key
      'ports: [8080]',
      'copies: 0', //                     6  below minimum
      'health:',
      '  http: { port: 9090 }', //        8  not among ports
      'files:',
      '  - path: /etc/a',
      '    source: ../outside.txt', //   11  leaves the folder
      '',
    ].join('\n');
    const editor = await writeAndOpen('broken.mastercopy.yaml', text);
    const ds = await until('five problems', () => {
      const p = problems(editor.document.uri);
      return p.length === 5 && p;
    });
    const seen = ds
      .map((d) => ({
        line: d.range.start.line,
        from: d.range.start.character,
        to: d.range.end.character,
        severity: d.severity,
        text: editor.document.getText(d.range),
      }))
      .sort((a, b) => a.line - b.line);
    assert.deepEqual(seen, [
      { line: 2, from: 9, to: 12, severity: vscode.DiagnosticSeverity.Error, text: '1.4' },
      { line: 4, from: 0, to: 5, severity: vscode.DiagnosticSeverity.Error, text: 'prots' },
      { line: 6, from: 8, to: 9, severity: vscode.DiagnosticSeverity.Error, text: '0' },
      { line: 8, from: 16, to: 20, severity: vscode.DiagnosticSeverity.Error, text: '9090' },
      {
        line: 11,
        from: 12,
        to: 26,
        severity: vscode.DiagnosticSeverity.Error,
        text: '../outside.txt',
      },
    ]);
    const messages = ds.map((d) => d.message).join('\n');
    assert.match(messages, /Quote it: "1.4"/);
    assert.match(messages, /Did you mean `ports`\?/);
    assert.match(messages, /leads outside the master copy's folder/);
  });

  it('reports a YAML syntax error where it is', async () => {
    const editor = await writeAndOpen('syntax.mastercopy.yaml', VALID + 'env:\n  A: 1\n  A: 2\n');
    const [d] = await until('the duplicate key problem', () => {
      const p = problems(editor.document.uri);
      return p.length === 1 && p;
    });
    assert.equal(d.range.start.line, 8);
    assert.equal(editor.document.getText(d.range), 'A');
    assert.match(d.message, /Duplicate key/);
  });

  it('completes keys from the schema at the cursor', async () => {
    const editor = await writeAndOpen('complete.mastercopy.yaml', VALID + 'runtime:\n  \n');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      editor.document.uri,
      new vscode.Position(7, 2),
    );
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const k of ['readOnly', 'tmpfs', 'capabilities', 'noNewPrivileges', 'memory', 'restart'])
      assert.ok(labels.includes(k), `runtime completion offers ${k} (got ${labels.join(', ')})`);
    assert.ok(!labels.includes('name'), 'top-level keys are not offered inside runtime');

    const top = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      editor.document.uri,
      new vscode.Position(8, 0),
    );
    const topLabels = top.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(topLabels.includes('health'), 'top level offers health');
    assert.ok(!topLabels.includes('name'), 'keys already present are not offered again');
  });

  it('completes enum values', async () => {
    const editor = await writeAndOpen('values.mastercopy.yaml', VALID + 'runtime:\n  restart: \n');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      editor.document.uri,
      new vscode.Position(7, 11),
    );
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const v of ['no', 'on-failure', 'always', 'unless-stopped'])
      assert.ok(labels.includes(v), `restart offers ${v} (got ${labels.join(', ')})`);
  });

  it('shows the schema description on hover', async () => {
    const editor = await writeAndOpen('hover.mastercopy.yaml', VALID);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      editor.document.uri,
      new vscode.Position(5, 2),
    );
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
      .join('\n');
    assert.match(text, /Ports the application listens on/);
  });

  it('scaffolds a valid master copy with New Master Copy', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'mastercopy.newMasterCopy',
      root(),
      'Payments API',
    );
    assert.ok(uri, 'the command returns the new file');
    assert.equal(uri.path.split('/').pop(), 'payments-api.mastercopy.yaml');
    const doc = await until(
      'the new file to be the active editor',
      () =>
        vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() &&
        vscode.window.activeTextEditor.document,
    );
    assert.match(doc.getText(), /^name: payments-api$/m);
    assert.equal(doc.languageId, 'mastercopy');
    // Valid as it stands: the extension validates it on open and finds nothing.
    const api = vscode.extensions.getExtension('mastercopy.mastercopy')!.exports as {
      diagnostics: { resultFor(d: vscode.TextDocument): { diagnostics: unknown[] } | undefined };
    };
    assert.deepEqual(api.diagnostics.resultFor(doc)?.diagnostics, []);
    assert.deepEqual(problems(uri), []);
  });
});
