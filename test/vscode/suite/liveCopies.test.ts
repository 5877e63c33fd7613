// What the editor keeps current by itself with the Copies view closed: a master copy on
// screen keeps the engine followed, so its "n running" code lens counts copies printed
// elsewhere (here: the CLI); and after the engine restarts the tree comes back without
// anyone pressing retry.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, scriptMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';
import { until } from '../support/until';
import { startEngine, stopEngine } from '../../support/engine';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';

const name = uniqueName('vsv');

describe('live copies with the Copies view closed (real engine)', function () {
  this.timeout(180_000);
  const fixture = useMasterCopy(name, scriptMasterCopy(name, 'exec sleep 3600'));
  let cli: string;

  before(async () => {
    cli = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  async function lensTitles(): Promise<string[]> {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      fixture.uri,
    );
    return lenses.map((l) => l.command?.title ?? '');
  }

  it('follows the engine while a master copy is on screen, and only then', async () => {
    await until('no following with nothing on screen', () => !fixture.api.engine.refresh.following);
    await vscode.window.showTextDocument(fixture.uri);
    await until(
      'following once the master copy is shown',
      () => fixture.api.engine.refresh.following,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await until('no following once it is closed', () => !fixture.api.engine.refresh.following);
    await vscode.window.showTextDocument(fixture.uri);
    await until('following again', () => fixture.api.engine.refresh.following);
  });

  it('counts in its code lens a copy printed from the command line', async () => {
    await until('the lens to say 0 running', async () =>
      (await lensTitles()).includes('0 running'),
    );
    const printed = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, 'print', '--copies', '1', fixture.uri.fsPath],
        { timeout: 120_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.match(printed, /1 cop/);
    // No model.refresh() here: the engine's events must bring it.
    await until(
      'the lens to say 1 running',
      async () => (await lensTitles()).includes('1 running'),
      30_000,
    );
  });

  it('the tree comes back by itself after the engine restarts', async () => {
    const tree = fixture.api.engine.tree;
    const roots = async () => (await tree.getChildren()) as CopiesNode[];
    await stopEngine();
    try {
      await until(
        'the engine-down item',
        async () => (await roots()).some((n) => n.kind === 'engineDown'),
        30_000,
      );
    } finally {
      await startEngine();
    }
    // No retry command: the event stream's reconnection must notice.
    const back = await until(
      'the master copy back in the tree',
      async () => {
        const all = await roots();
        return (
          !all.some((n) => n.kind === 'engineDown') &&
          all.find((n) => n.kind === 'masterCopy' && n.name === name)
        );
      },
      60_000,
    );
    assert.ok(
      back && back.kind === 'masterCopy' && back.copies.length === 1,
      'its (now stopped) copy is listed again',
    );
  });
});
