// The Swarm target in the editor against the real engine (single-node swarm mode, set up by
// scripts/setup-engine.sh): Select Target… switches to swarm, Print makes the master copy a
// service, the Copies view shows the service and its tasks as copies, Dispose removes it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';
import { docker, removeImage } from '../support/docker';
import {
  scriptMasterCopy,
  uniqueName,
  writeWorkspaceFile,
  activateWithEngine,
} from '../support/fixture';
import { until } from '../support/until';

const name = uniqueName('swarm');

describe('the Swarm target in the Copies view (real engine)', function () {
  this.timeout(180_000);
  let api: Awaited<ReturnType<typeof activateWithEngine>>;
  let uri: vscode.Uri;

  before(async () => {
    api = await activateWithEngine();
    uri = await writeWorkspaceFile(
      `${name}.mastercopy.yaml`,
      scriptMasterCopy(name, 'exec sleep 86400', 2),
    );
  });

  after(async () => {
    await vscode.commands
      .executeCommand('mastercopy.dispose', uri, { confirmed: true })
      .then(undefined, () => undefined);
    await vscode.commands.executeCommand('mastercopy.selectTarget', 'local');
    // The service's task containers go a moment after it; the image can go once they have.
    await until(
      'no task container left',
      async () =>
        !(await docker('ps', '-aq', '--filter', `label=io.mastercopy.name=${name}`)).trim(),
      60_000,
    ).catch(() => undefined);
    await removeImage(`${name}:1.0.0`);
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
  });

  async function serviceNode() {
    await api.engine.model.refresh();
    const roots = (await api.engine.tree.getChildren()) as CopiesNode[];
    const mc = roots.find((r) => r.kind === 'masterCopy' && r.name === name);
    if (!mc) return undefined;
    return ((await api.engine.tree.getChildren(mc)) as CopiesNode[]).find(
      (c) => c.kind === 'service',
    );
  }

  it('Select Target… to swarm, Print: the service and its 2 running tasks in the tree; Dispose: gone', async () => {
    assert.equal(await vscode.commands.executeCommand('mastercopy.selectTarget', 'swarm'), 'swarm');
    assert.equal(vscode.workspace.getConfiguration('mastercopy').get('target'), 'swarm');
    await vscode.commands.executeCommand('mastercopy.print', uri, 2);
    const service = await until(
      'the service with 2 running tasks',
      async () => {
        const node = await serviceNode();
        if (node?.kind !== 'service') return undefined;
        const tasks = (await api.engine.tree.getChildren(node)) as CopiesNode[];
        return (
          tasks.filter((t) => t.kind === 'task' && t.task.state === 'running').length === 2 && {
            node,
            tasks,
          }
        );
      },
      60_000,
    );
    const item = api.engine.tree.getTreeItem(service.node);
    assert.equal(item.label, `swarm service mastercopy-${name}`);
    assert.match(String(item.description), /^1\.0\.0 · 2 of 2 running/);
    const task = api.engine.tree.getTreeItem(service.tasks[0]);
    assert.match(String(task.label), /^#\d+$/);
    assert.match(String(task.description), /^running · 1\.0\.0 · node [0-9a-z]{12}/);
    assert.equal(task.contextValue, 'task running');

    await vscode.commands.executeCommand('mastercopy.dispose', uri, { confirmed: true });
    await until(
      'no service left in the tree',
      async () => (await serviceNode()) === undefined,
      60_000,
    );
  });
});
