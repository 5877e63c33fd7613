// Tail Logs in the real VS Code: a terminal opened from the Copies tree shows a
// copy's lines (colours, stderr marked), follows a restart, and filters.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { docker } from '../support/docker';
import { scriptMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';
import { until } from '../support/until';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';

const name = uniqueName('vsl');
// Prints known lines on start (one in green, one on stderr), then idles.
const text = scriptMasterCopy(
  name,
  "echo first line; printf '\\033[32mgreen\\033[0m\\n'; echo to-stderr >&2; exec sleep 3600",
);

describe('tail logs (real engine)', function () {
  this.timeout(120_000);
  // Before the fixture's after(): the terminals close before the copies go.
  after(() => {
    for (const t of vscode.window.terminals) if (t.name.includes(name)) t.dispose();
  });
  const fixture = useMasterCopy(name, text);

  before(async () => {
    const printed = (await vscode.commands.executeCommand('mastercopy.print', fixture.uri, 1)) as
      { copies: unknown[] } | undefined;
    assert.equal(printed?.copies.length, 1, 'one copy printed');
    await fixture.api.engine.model.refresh();
  });

  async function copyNode(): Promise<CopiesNode> {
    const tree = fixture.api.engine.tree;
    const mc = (await tree.getChildren()).find((n) => n.kind === 'masterCopy' && n.name === name)!;
    const [version] = await tree.getChildren(mc);
    const [copy] = await tree.getChildren(version);
    assert.equal(copy.kind, 'copy');
    return copy;
  }

  it("opens a terminal from the tree that shows the copy's lines, stderr marked", async () => {
    const node = await copyNode();
    const { terminal, pty } = (await vscode.commands.executeCommand(
      'mastercopy.tailLogs',
      node,
    )) as { terminal: vscode.Terminal; pty: { shown: string[] } };
    assert.match(terminal.name, /^Logs: copy [0-9a-f]{12}$/);
    await until(
      "the copy's three lines in the terminal",
      () => pty.shown.some((l) => l.includes('to-stderr')) && pty.shown.length >= 4,
      30_000,
    );
    const lines = pty.shown.slice(1, 4);
    // stdout keeps its order; the engine reads stderr through another pipe, so where
    // the stderr line falls between them depends on who was read first.
    assert.deepEqual(
      lines.filter((l) => !l.startsWith('┃')),
      ['0 | first line', '0 | green'],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('┃')),
      ['┃ 0 | to-stderr'],
    );
  });

  it('follows the copy across a restart and says so', async () => {
    const { pty } = (await vscode.commands.executeCommand('mastercopy.tailLogs', fixture.uri)) as {
      pty: { shown: string[] };
    };
    await until(
      'the first lines',
      () => pty.shown.filter((l) => l.endsWith('first line')).length === 1,
      30_000,
    );
    const copy = await copyNode();
    await docker('restart', '-t', '1', (copy as { copy: { id: string } }).copy.id);
    await until(
      'the lines printed again after the restart',
      () => pty.shown.filter((l) => l.endsWith('first line')).length === 2,
      60_000,
    );
    assert.ok(
      pty.shown.some((l) => /^-- .*restart/.test(l)),
      `a marker line says the copy restarted:\n${pty.shown.join('\n')}`,
    );
  });

  it('filters the tail to lines matching a text or a /regex/', async () => {
    const { pty } = (await vscode.commands.executeCommand('mastercopy.tailLogs', fixture.uri)) as {
      pty: { shown: string[]; filterDescription?: string };
    };
    await until('the first lines', () => pty.shown.some((l) => l.endsWith('to-stderr')), 30_000);
    const description = await vscode.commands.executeCommand(
      'mastercopy.filterLogs',
      pty,
      '/^gr+een$/',
    );
    assert.equal(description, '/^gr+een$/');
    assert.match(pty.shown[pty.shown.length - 1], /showing only lines matching \/\^gr\+een\$\//);
    const before = pty.shown.length;
    await docker('restart', '-t', '1', ((await copyNode()) as { copy: { id: string } }).copy.id);
    await until(
      'the green line again, through the filter',
      () => pty.shown.slice(before).some((l) => l.endsWith('green')),
      60_000,
    );
    assert.ok(
      !pty.shown.slice(before).some((l) => l.endsWith('first line') || l.endsWith('to-stderr')),
      'other lines are filtered out',
    );
  });
});
