// The extension loads in a real VS Code: it is installed, activates, and owns the
// `mastercopy` language for *.mastercopy.yaml files.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { until } from '../support/until';

const EXTENSION_ID = 'mastercopy.mastercopy';

function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with a workspace folder open');
  return folder.uri;
}

describe('activation', () => {
  // Runs first, before anything calls activate(): the activation event
  // workspaceContains:**/*.mastercopy.{yaml,yml} must do it on its own.
  it('activates by itself in a workspace that contains a master copy', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await until('the extension to be activated by its workspaceContains event', () => ext.isActive);
  });

  it('activate() resolves and leaves it active', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers the mastercopy language', async () => {
    const languages = await vscode.languages.getLanguages();
    assert.ok(
      languages.includes('mastercopy'),
      `languages include 'mastercopy' (got ${languages.length} languages)`,
    );
  });

  it('opens *.mastercopy.yaml files as mastercopy', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'hello.mastercopy.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'mastercopy');
    const editor = await vscode.window.showTextDocument(doc);
    assert.equal(path.basename(editor.document.uri.path), 'hello.mastercopy.yaml');
    assert.match(doc.getText(), /^name: hello$/m);
  });
});
