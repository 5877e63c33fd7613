// The keeper's work, seen in the Copies view against the real engine: an autoscaled master
// copy is promoted, connections held through its endpoint make the keeper scale it up (the
// active version shows its desired count and the decision with its reason), and a copy
// killed through the engine is replaced (a line on the version says which and why).
import * as assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import * as vscode from 'vscode';
import type { PromoteResult } from '../../../src/core/deploy/promote';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';
import { holdConnections } from '../../support/load';
import { docker, removeImage } from '../support/docker';
import {
  activateWithEngine,
  freePort,
  httpMasterCopy,
  removePromoted,
  uniqueName,
  writeWorkspaceFile,
} from '../support/fixture';
import { until } from '../support/until';

const name = uniqueName('auto');

describe('autoscaling and self-healing in the Copies view (real engine)', function () {
  this.timeout(180_000);
  let api: Awaited<ReturnType<typeof activateWithEngine>>;
  let uri: vscode.Uri;
  let port: number;
  const held: Socket[] = [];
  const engine = () => api.engine;

  /** The active version's node and its children, once the tree (refreshed) shows what `probe` wants. */
  async function versionShows(
    what: string,
    probe: (version: Extract<CopiesNode, { kind: 'version' }>, children: CopiesNode[]) => boolean,
  ) {
    return until(what, async () => {
      await engine().model.refresh();
      const roots = (await engine().tree.getChildren()) as CopiesNode[];
      const mc = roots.find((r) => r.kind === 'masterCopy' && r.name === name);
      if (!mc) return undefined;
      const version = ((await engine().tree.getChildren(mc)) as CopiesNode[]).find(
        (c) => c.kind === 'version' && c.active,
      );
      if (version?.kind !== 'version') return undefined;
      const children = (await engine().tree.getChildren(version)) as CopiesNode[];
      return probe(version, children) ? { version, children } : undefined;
    });
  }

  before(async () => {
    api = await activateWithEngine();
    port = await freePort();
    uri = await writeWorkspaceFile(
      `${name}.mastercopy.yaml`,
      httpMasterCopy(name, {
        copies: 1,
        extra: `gateway: { port: ${port}, target: 8080 }\nautoscale: { min: 1, max: 2, inflight: 2, cooldown: 1s }\n`,
      }),
    );
    await until('the master copy in the tree', async () =>
      ((await engine().tree.getChildren()) as CopiesNode[]).some(
        (r) => r.kind === 'masterCopy' && r.name === name,
      ),
    );
  });

  after(async () => {
    for (const s of held) s.destroy();
    await removePromoted(name);
    await removeImage(`${name}:1.0.0`);
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
  });

  it('the tree shows the desired count of the active version and the scaling decision with its reason', async () => {
    const result = (await vscode.commands.executeCommand(
      'mastercopy.promote',
      uri,
    )) as PromoteResult;
    assert.equal(result.status, 'promoted');
    assert.equal(result.copies.length, 1, 'min copies at first');
    // 4 open connections on a target of 2 ask for 2 copies (the max).
    held.push(...(await holdConnections(port, 4)));
    const { version, children } = await versionShows(
      'the decision and 2 running copies',
      (v, c) =>
        v.copies.filter((x) => x.state === 'running').length === 2 &&
        c.some((x) => x.kind === 'event' && x.icon === 'scale'),
    );
    const item = engine().tree.getTreeItem(version);
    assert.match(
      String(item.description),
      /^2 copies · 2 running .*· 2 desired \(autoscaled 1–2\) · active$/,
      String(item.description),
    );
    assert.match(
      (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, ''),
      /Autoscaled 1–2 copies on 2 open connections per copy \(cooldown 1s\)/,
    );
    const event = children.find((c) => c.kind === 'event')!;
    const eventItem = engine().tree.getTreeItem(event);
    assert.match(
      String(eventItem.label),
      /^1 → 2: [\d.]+ open connections over 1 copy, target 2( \(at most 2\))?$/,
    );
    assert.match(String(eventItem.description), /^\d{2}:\d{2}:\d{2}Z$/);
    assert.equal((eventItem.iconPath as vscode.ThemeIcon).id, 'graph-line');
    assert.equal(eventItem.contextValue, 'keeperEvent scale');
    assert.ok(
      children.filter((c) => c.kind === 'copy').length === 2,
      'the copies are still under the version',
    );
  });

  it('a copy killed through the engine is replaced, and the version says which and why', async () => {
    const { version } = await versionShows(
      '2 running copies',
      (v) => v.copies.filter((x) => x.state === 'running').length === 2,
    );
    const victim = version.copies[0];
    await docker('kill', victim.id);
    const { children } = await versionShows(
      'a replacement line',
      (v, c) =>
        c.some((x) => x.kind === 'event' && x.icon === 'replaced') &&
        v.copies.filter((x) => x.state === 'running').length === 2,
    );
    const line = engine().tree.getTreeItem(
      children.find((c) => c.kind === 'event' && c.icon === 'replaced')!,
    );
    assert.match(
      String(line.label),
      new RegExp(`^replaced copy ${victim.index}: exited 137$`),
      String(line.label),
    );
    assert.equal((line.iconPath as vscode.ThemeIcon).id, 'debug-restart');
  });
});
