// A flood in a Tail Logs terminal: a copy writes 300,000 lines at once; the terminal keeps
// up to the last line, holds a bounded number of lines in order, the extension host goes
// on answering meanwhile, and closing the terminal ends the tail (its engine connections).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { docker } from '../support/docker';
import { scriptMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';
import { until } from '../support/until';
import type { LogTerminal } from '../../../src/vscode/logs/logTerminal';

const name = uniqueName('vsf');
const LINES = 300_000;
// Waits for /tmp/go (a tmpfs in a read-only copy), then floods.
const text = scriptMasterCopy(
  name,
  `while [ ! -e /tmp/go ]; do sleep 0.1; done; seq 1 ${LINES}; exec sleep 3600`,
);

describe('a log flood in the editor (real engine)', function () {
  this.timeout(180_000);
  let copyId: string;
  // Before the fixture's after(): the terminals close before the copies go.
  after(() => {
    for (const t of vscode.window.terminals) if (t.name.includes(name)) t.dispose();
  });
  const fixture = useMasterCopy(name, text);

  before(async () => {
    const printed = (await vscode.commands.executeCommand('mastercopy.print', fixture.uri, 1)) as
      { copies: { id: string }[] } | undefined;
    assert.equal(printed?.copies.length, 1, 'one copy printed');
    copyId = printed!.copies[0].id;
  });

  it('keeps up to the last line, bounded and in order; closing the terminal ends the tail', async () => {
    const { terminal, pty } = (await vscode.commands.executeCommand(
      'mastercopy.tailLogs',
      fixture.uri,
    )) as { terminal: vscode.Terminal; pty: LogTerminal };
    await until(
      'the tail to be open',
      () => pty.shown.some((l) => l.startsWith('Tailing')),
      30_000,
    );
    await docker('exec', copyId, 'touch', '/tmp/go');

    // Meanwhile the extension host answers commands (a starved one would time this test out).
    const answered = (await vscode.commands.executeCommand('mastercopy.tailLogs', fixture.uri)) as
      { terminal: vscode.Terminal } | undefined;
    answered?.terminal.dispose();

    const last = `0 | ${LINES}`;
    await until(
      "the flood's last line in the terminal",
      () => pty.shown.some((l) => l === last),
      120_000,
    );
    const shown = pty.shown;
    assert.equal(shown.length, 5000, 'the terminal keeps a bounded number of lines');
    const numbers = shown.filter((l) => /^0 \| [0-9]+$/.test(l)).map((l) => Number(l.slice(4)));
    assert.equal(numbers[numbers.length - 1], LINES);
    const skipped = shown.some((l) => /lines skipped/.test(l));
    // Without a "skipped" notice every line came through, in order.
    if (!skipped)
      for (let i = 1; i < numbers.length; i++)
        assert.equal(
          numbers[i],
          numbers[i - 1] + 1,
          `line ${numbers[i - 1]} is followed by ${numbers[i]}`,
        );

    const ended = new Promise<unknown>((resolve) => pty.tail.onEnd(resolve));
    terminal.dispose();
    assert.equal(await ended, undefined, 'closing the terminal ends the tail without an error');
  });
});
