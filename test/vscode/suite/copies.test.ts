// Build, print and dispose from the editor against the real engine, and what the
// Copies tree shows at each step; then the engine-down item.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { httpMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';
import { until } from '../support/until';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';

const name = uniqueName('vsc');

describe('copies from the editor (real engine)', function () {
  this.timeout(120_000);
  const fixture = useMasterCopy(name, httpMasterCopy(name), { open: true });

  async function roots(): Promise<CopiesNode[]> {
    return (await fixture.api.engine.tree.getChildren()) as CopiesNode[];
  }
  async function ourNode() {
    return (await roots()).find((n) => n.kind === 'masterCopy' && n.name === name);
  }

  it('lists the workspace master copy in the tree before anything is printed', async () => {
    const node = await until('the master copy in the tree', ourNode);
    const item = fixture.api.engine.tree.getTreeItem(node);
    assert.equal(item.label, name);
    assert.match(String(item.contextValue), /^masterCopy hasFile noCopies$/);
    assert.match(String(item.description), /no copies/);
  });

  it('builds the image', async () => {
    const result = (await vscode.commands.executeCommand('mastercopy.build', fixture.uri)) as
      { status: string; tag: string } | undefined;
    assert.ok(result, 'the build command returns its result');
    assert.equal(result.tag, `${name}:1.0.0`);
    const again = (await vscode.commands.executeCommand('mastercopy.build', fixture.uri)) as {
      status: string;
    };
    assert.equal(again.status, 'up-to-date', 'building the same master copy again is a no-op');
  });

  it('prints two healthy copies and the tree shows them under their version', async () => {
    const result = (await vscode.commands.executeCommand('mastercopy.print', fixture.uri, 2)) as {
      copies: unknown[];
      unhealthy: unknown[];
    };
    assert.equal(result.copies.length, 2);
    assert.deepEqual(result.unhealthy, []);
    // A refresh asked for while one runs shares it (and its answer may predate the print): ask until it shows.
    const node = await until('two running copies in the tree', async () => {
      await fixture.api.engine.model.refresh();
      const n = await ourNode();
      return (
        n &&
        n.kind === 'masterCopy' &&
        n.copies.filter((c) => c.state === 'running').length === 2 &&
        n
      );
    });
    const [version] = await fixture.api.engine.tree.getChildren(node);
    assert.equal(version.kind, 'version');
    const versionItem = fixture.api.engine.tree.getTreeItem(version);
    assert.equal(versionItem.label, '1.0.0');
    assert.match(String(versionItem.contextValue), /^version current$/);
    const copies = await fixture.api.engine.tree.getChildren(version);
    assert.deepEqual(
      copies.map((c) => fixture.api.engine.tree.getTreeItem(c).label),
      ['#0', '#1'],
    );
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      fixture.uri,
    );
    assert.deepEqual(
      lenses.map((l) => l.command?.title),
      [
        '$(open-preview) Preview',
        '$(tools) Build',
        '$(copy) Print ×2',
        '$(rocket) Promote',
        '2 running',
        '$(output) Tail Logs',
      ],
    );
    const copyItem = fixture.api.engine.tree.getTreeItem(copies[0]);
    assert.equal(copyItem.contextValue, 'copy running http');
    assert.match(String(copyItem.description), /^running · healthy · 127\.0\.0\.1:\d+→8080$/);
  });

  it('disposes the copies and the tree shows none', async () => {
    const node = (await ourNode())!;
    await vscode.commands.executeCommand('mastercopy.dispose', node, { confirmed: true });
    await fixture.api.engine.model.refresh();
    const after = await until('no copies in the tree', async () => {
      const n = await ourNode();
      return n && n.kind === 'masterCopy' && n.copies.length === 0 && n;
    });
    assert.match(String(fixture.api.engine.tree.getTreeItem(after).contextValue), /noCopies/);
  });

  it('shows an engine that cannot be reached as an item with a retry action', async () => {
    const config = vscode.workspace.getConfiguration('mastercopy');
    await config.update(
      'dockerHost',
      'unix:///tmp/mastercopy-no-engine.sock',
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      await vscode.commands.executeCommand('mastercopy.retryConnection');
      const down = await until('the engine-down item', async () =>
        (await roots()).find((n) => n.kind === 'engineDown'),
      );
      const item = fixture.api.engine.tree.getTreeItem(down);
      assert.equal(item.label, 'Docker engine not reachable');
      assert.equal(item.description, 'unix:///tmp/mastercopy-no-engine.sock');
      assert.equal(item.contextValue, 'engineDown');
      assert.equal(item.command?.command, 'mastercopy.retryConnection');
      const tooltip = String((item.tooltip as vscode.MarkdownString).value).replace(/\\/g, '');
      assert.match(tooltip, /not reachable at unix:\/\/\/tmp\/mastercopy-no-engine\.sock/);
      assert.match(
        tooltip,
        /set `mastercopy\.dockerHost` \(or DOCKER_HOST\) to use another/,
        'the hint names the setting, not --host',
      );
      assert.doesNotMatch(tooltip, /--host/);
      // A malformed setting: the message says which setting (not "--host").
      await config.update(
        'dockerHost',
        'unix://relative.sock',
        vscode.ConfigurationTarget.Workspace,
      );
      await vscode.commands.executeCommand('mastercopy.retryConnection');
      const malformed = await until('the malformed-host item', async () =>
        (await roots()).find((n) => n.kind === 'engineDown' && /relative/.test(n.message)),
      );
      assert.ok(malformed.kind === 'engineDown');
      assert.match(
        malformed.message,
        /^The setting `mastercopy\.dockerHost`: "unix:\/\/relative\.sock" — a unix socket path must be absolute/,
      );
    } finally {
      await config.update('dockerHost', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await vscode.commands.executeCommand('mastercopy.retryConnection');
    await until(
      'the engine to be back',
      async () => !(await roots()).some((n) => n.kind === 'engineDown'),
    );
  });
});
