// Configuration shift, seen in the editor against the real engine: a copy changed with
// `docker update` (the engine's `update` event starts the check, not a refresh asked for)
// gets a badge and a tooltip in the Copies view and a warning at the line of `memory:` in
// the open master copy; Replace Drifted Copies prints a fresh copy and the warning goes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ReplaceResult } from '../../../src/core/drift/replace';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';
import { docker } from '../support/docker';
import { httpMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';
import { until } from '../support/until';

const name = uniqueName('drift');

describe('drift in the editor (real engine)', function () {
  this.timeout(120_000);
  const fixture = useMasterCopy(
    name,
    httpMasterCopy(name, { extra: 'runtime:\n  memory: 64m\n' }),
    { open: true },
  );
  const engine = () => fixture.api.engine;
  const driftWarnings = () =>
    vscode.languages.getDiagnostics(fixture.uri).filter((d) => d.code === 'drift');

  async function copyNodes(): Promise<Extract<CopiesNode, { kind: 'copy' }>[]> {
    const roots = (await engine().tree.getChildren()) as CopiesNode[];
    const mc = roots.find((r) => r.kind === 'masterCopy' && r.name === name);
    if (!mc) return [];
    const out: Extract<CopiesNode, { kind: 'copy' }>[] = [];
    for (const v of (await engine().tree.getChildren(mc)) as CopiesNode[])
      for (const c of (await engine().tree.getChildren(v)) as CopiesNode[])
        if (c.kind === 'copy') out.push(c);
    return out;
  }

  it('a copy changed with docker update carries a badge and tooltip in the tree and a warning at its line', async () => {
    const printed = (await vscode.commands.executeCommand('mastercopy.print', fixture.uri, 2)) as {
      copies: { id: string; index: number }[];
    };
    assert.equal(printed.copies.length, 2);
    await until('both copies checked and clean', async () => {
      const nodes = await copyNodes();
      return nodes.length === 2 && nodes.every((n) => n.drift?.state === 'clean');
    });
    assert.deepEqual(driftWarnings(), [], 'no warning while the copies match');

    const changed = printed.copies.find((c) => c.index === 1)!;
    await docker('update', '--memory', '96m', '--memory-swap', '-1', changed.id);
    // No refresh is asked for here: the engine's `update` event starts the check.
    const node = await until('the changed copy drifted in the tree', async () =>
      (await copyNodes()).find((n) => n.copy.id === changed.id && n.drift?.state === 'drifted'),
    );
    const item = engine().tree.getTreeItem(node);
    assert.match(String(item.description), /^drifted · running/);
    assert.match(String(item.contextValue), /^copy running .*drifted$/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'diff-modified');
    assert.match(
      (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, ''),
      /drifted\*\* from its version:\n\n- memory 64m → 96m \(changed in place\)/,
    );
    const other = (await copyNodes()).find((n) => n.copy.id !== changed.id)!;
    assert.equal(other.drift?.state, 'clean', 'its sibling is clean');

    const [warning] = await until('the drift warning', async () =>
      driftWarnings().length ? driftWarnings() : undefined,
    );
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(
      warning.message,
      /^copy 1 of 1\.0\.0 runs with memory 96m; this file says 64m \(changed in place\)\./,
    );
    const doc = await vscode.workspace.openTextDocument(fixture.uri);
    assert.equal(doc.getText(warning.range), 'memory', 'at the key of the drifted property');
  });

  it('a copy connected to another network (a network event, not a refresh asked for) is drifted too', async () => {
    const [first] = (await copyNodes()).filter((n) => n.drift?.state === 'clean');
    const extra = `${name}-extra`;
    await docker('network', 'create', '--label', 'mastercopy-test=drift', extra);
    try {
      await docker('network', 'connect', extra, first.copy.id);
      const node = await until('the connected copy drifted', async () =>
        (await copyNodes()).find(
          (n) => n.copy.id === first.copy.id && n.drift?.state === 'drifted',
        ),
      );
      assert.deepEqual(
        node.drift?.items.map((i) => i.what),
        ['networks'],
      );
    } finally {
      await docker('network', 'disconnect', '--force', extra, first.copy.id).catch(() => undefined);
      await docker('network', 'rm', extra).catch(() => undefined);
    }
    await until('clean again once disconnected', async () =>
      (await copyNodes()).some((n) => n.copy.id === first.copy.id && n.drift?.state === 'clean'),
    );
  });

  it('Replace Drifted Copies prints a fresh copy, disposes of the drifted one, and the warning goes', async () => {
    const before = await copyNodes();
    const drifted = before.find((n) => n.drift?.state === 'drifted')!;
    const result = (await vscode.commands.executeCommand(
      'mastercopy.replaceDrifted',
      name,
    )) as ReplaceResult;
    assert.deepEqual(
      result.replaced.map((r) => [r.index, r.by]),
      [[1, 'print']],
    );
    const after = await until('two clean copies, the drifted one gone', async () => {
      const nodes = await copyNodes();
      return nodes.length === 2 &&
        nodes.every((n) => n.drift?.state === 'clean') &&
        !nodes.some((n) => n.copy.id === drifted.copy.id)
        ? nodes
        : undefined;
    });
    assert.deepEqual(after.map((n) => n.copy.index).sort(), [0, 2]);
    await until('the warning is gone', async () => driftWarnings().length === 0);
  });
});
