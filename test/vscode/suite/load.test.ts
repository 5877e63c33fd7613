// Load (issue 14, suite item 6): 200 copies printed from the editor, listed by the Copies
// view and by `mastercopy ps`, then disposed of. The tree and ps stay correct (every copy,
// once, with its index); what it costs — the time of a refresh of the Copies view and the
// extension host's memory at 200 copies — is reported (RELIABILITY.md), not asserted: speed
// belongs to the benchmarks.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';
import { EXTENSION_ID, scriptMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';
import { docker } from '../support/docker';
import { until } from '../support/until';

const name = uniqueName('load');
const COPIES = 200;

describe('200 copies (real engine)', function () {
  this.timeout(600_000);
  const fixture = useMasterCopy(name, scriptMasterCopy(name, 'exec sleep 86400'));

  async function copyNodes(): Promise<Extract<CopiesNode, { kind: 'copy' }>[]> {
    const tree = fixture.api.engine.tree;
    const roots = (await tree.getChildren()) as CopiesNode[];
    const mc = roots.find((r) => r.kind === 'masterCopy' && r.name === name);
    if (!mc) return [];
    const out: Extract<CopiesNode, { kind: 'copy' }>[] = [];
    for (const v of (await tree.getChildren(mc)) as CopiesNode[])
      for (const c of (await tree.getChildren(v)) as CopiesNode[])
        if (c.kind === 'copy') out.push(c);
    return out;
  }

  /** `mastercopy ps --json NAME` through the CLI the extension ships (dist/cli.js). */
  function ps(): Promise<{ index: number; state: string }[]> {
    const cli = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, 'ps', '--json', '--no-probe', name],
        { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 16 * 1024 * 1024 },
        (e, stdout, stderr) =>
          e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
      ),
    );
  }

  it(`prints ${COPIES} copies; the tree and ps list each once; then all are disposed of`, async () => {
    const printed = (await vscode.commands.executeCommand(
      'mastercopy.print',
      fixture.uri,
      COPIES,
    )) as {
      copies: { index: number }[];
    };
    assert.equal(printed.copies.length, COPIES);

    const refreshMs: number[] = [];
    const nodes = await until(
      `${COPIES} running copies in the tree`,
      async () => {
        const t0 = performance.now();
        await fixture.api.engine.model.refresh();
        refreshMs.push(performance.now() - t0);
        const n = await copyNodes();
        return n.filter((c) => c.copy.state === 'running').length === COPIES && n;
      },
      120_000,
    );
    const indices = nodes.map((n) => n.copy.index).sort((a, b) => a - b);
    assert.deepEqual(
      indices,
      Array.from({ length: COPIES }, (_, i) => i),
      'every index once',
    );
    // A few more refreshes at 200 copies, for the report.
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await fixture.api.engine.model.refresh();
      refreshMs.push(performance.now() - t0);
    }
    const listed = await ps();
    assert.equal(listed.length, COPIES);
    assert.deepEqual(
      listed.map((c) => c.index).sort((a, b) => a - b),
      indices,
      'ps lists the same copies',
    );
    const memory = process.memoryUsage();
    const last = refreshMs.slice(-5).sort((a, b) => a - b);
    // One line for RELIABILITY.md: the workbench's log keeps it (test-results/vscode-browser.log, "load: …").
    console.log(
      `load: ${COPIES} copies — Copies view refresh median ${last[2].toFixed(0)} ms (of 5), ` +
        `extension host rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`,
    );

    await vscode.commands.executeCommand('mastercopy.dispose', fixture.uri, { confirmed: true });
    await until(
      'no copy left in the tree',
      async () => {
        await fixture.api.engine.model.refresh();
        return (await copyNodes()).length === 0;
      },
      120_000,
    );
    assert.deepEqual(await ps(), []);
    await until(
      'its network removed with its last copy',
      async () =>
        !(await docker('network', 'ls', '-q', '--filter', `name=^mastercopy-${name}$`)).trim(),
      30_000,
    );
  });
});
