// Deploying from the editor against the real engine: promote from the tree (phases in
// order, the endpoint answering with the new version while blue serves until the switch),
// the tree's active mark and endpoint item, the status bar, a rollback from the preview's
// History, and a master copy without `gateway`. The Cancel button and the Roll Back picker
// are clicked like a person in test/vscode/ui/deploy.ui.mjs.
import * as assert from 'node:assert/strict';
import { get } from 'node:http';
import * as vscode from 'vscode';
import { readLedger } from '../../../src/core/deploy/ledger';
import type { PromoteResult } from '../../../src/core/deploy/promote';
import type { MasterCopyApi } from '../../../src/vscode/extension';
import type { CopiesNode } from '../../../src/vscode/tree/copiesTree';
import { removeImage } from '../support/docker';
import {
  activateWithEngine,
  freePort,
  httpMasterCopy,
  removePromoted,
  uniqueName,
  writeWorkspaceFile,
} from '../support/fixture';
import { until } from '../support/until';

const name = uniqueName('dep');
const plain = `${name}-nogw`;

/** The small http master copy, one copy, answering / with its name and version; a gateway on `port`. */
const text = (version: string, port: number | null, mcName = name) =>
  httpMasterCopy(mcName, {
    version,
    copies: 1,
    files: `  - path: /srv/www/index.html\n    content: "${mcName} ${version}"\n`,
    extra: port === null ? '' : `gateway: { port: ${port}, target: 8080 }\n`,
  });

/** The endpoint's answer (a fresh connection each time, like a new client). */
function fetchBody(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body.trim())
          : reject(new Error(`HTTP ${res.statusCode}: ${body}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe('deploying from the editor (real engine)', function () {
  this.timeout(180_000);
  let api: MasterCopyApi;
  let uri: vscode.Uri;
  let plainUri: vscode.Uri;
  let port: number;

  const engine = () => api.engine!;
  async function masterCopyNode(n = name): Promise<Extract<CopiesNode, { kind: 'masterCopy' }>> {
    const roots = (await engine().tree.getChildren()) as CopiesNode[];
    const node = roots.find((r) => r.kind === 'masterCopy' && r.name === n);
    assert.ok(node && node.kind === 'masterCopy', `${n} is in the tree`);
    return node;
  }
  async function children(n = name): Promise<CopiesNode[]> {
    return (await engine().tree.getChildren(await masterCopyNode(n))) as CopiesNode[];
  }
  /**
   * Waits for the tree to show what `probe` looks for. A refresh asked for while one runs
   * shares that run (its answer may predate the change), so ask until it shows.
   */
  async function treeShows<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
  ): Promise<T> {
    return until(what, async () => {
      await engine().model.refresh();
      return probe();
    });
  }
  /** Rewrites the open master copy (saved: Promote reads the file as saved). */
  async function setVersion(version: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      uri,
      new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)),
      text(version, port),
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
  }

  before(async () => {
    api = await activateWithEngine();
    port = await freePort();
    uri = await writeWorkspaceFile(`${name}.mastercopy.yaml`, text('1.0.0', port));
    plainUri = await writeWorkspaceFile(`${plain}.mastercopy.yaml`, text('1.0.0', null, plain));
    await vscode.window.showTextDocument(uri);
    await until('the master copy in the tree', async () =>
      ((await engine().tree.getChildren()) as CopiesNode[]).some(
        (r) => r.kind === 'masterCopy' && r.name === name,
      ),
    );
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const n of [name, plain]) await removePromoted(n);
    for (const tag of [`${name}:1.0.0`, `${name}:1.1.0`, `${plain}:1.0.0`]) await removeImage(tag);
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    await vscode.workspace.fs.delete(plainUri).then(undefined, () => undefined);
  });

  it(
    'promotes from the tree: the phases in order, the endpoint answers with the new version, ' +
      'the tree marks it active beside its endpoint',
    async () => {
      const node = await masterCopyNode();
      assert.match(
        String(engine().tree.getTreeItem(node).contextValue),
        /^masterCopy hasFile noCopies$/,
        'no ledger yet',
      );
      const phases: string[] = [];
      const watch = engine().deploys.onDidChange(
        (d) => d.name === name && d.phase && phases.at(-1) !== d.phase && phases.push(d.phase),
      );
      let result: PromoteResult;
      try {
        result = (await vscode.commands.executeCommand(
          'mastercopy.promote',
          node,
        )) as PromoteResult;
      } finally {
        watch.dispose();
      }
      assert.equal(result.status, 'promoted');
      assert.equal(result.version, '1.0.0');
      assert.equal(result.replaced, null);
      assert.deepEqual(result.gateway, { address: '127.0.0.1', port });
      assert.deepEqual(
        phases,
        ['build', 'keeper', 'print', 'health', 'switch'],
        'a first promote: nothing to drain or dispose',
      );
      assert.equal(engine().deploys.get(name), undefined, 'no longer running');

      assert.equal(await fetchBody(port), `${name} 1.0.0`);

      // Until a refresh that began after our request: the endpoint counts it.
      const mc = await treeShows('the tree to see the promote and our request', async () => {
        const n = await masterCopyNode();
        // Served, and closed again: a refresh between the answer and the close counts it open.
        return (
          n.deploy?.active &&
          n.copies.length === 1 &&
          (n.deploy.endpoint?.served ?? 0) > 0 &&
          n.deploy.endpoint?.open === 0 &&
          n
        );
      });
      assert.match(
        String(engine().tree.getTreeItem(mc).contextValue),
        /^masterCopy hasFile hasCopies hasLedger$/,
      );
      assert.match(String(engine().tree.getTreeItem(mc).description), /1 running · 1\.0\.0 active/);
      const [endpoint, version] = await children();
      assert.equal(endpoint.kind, 'endpoint');
      const endpointItem = engine().tree.getTreeItem(endpoint);
      assert.equal(endpointItem.label, `http://127.0.0.1:${port}`);
      assert.equal(endpointItem.contextValue, 'endpoint serving');
      assert.match(
        String(endpointItem.description),
        /^→ 1\.0\.0 · 0 open · [1-9]\d* served$/,
        `our request went through it (${String(endpointItem.description)})`,
      );
      assert.equal(version.kind, 'version');
      const versionItem = engine().tree.getTreeItem(version);
      assert.equal(versionItem.label, '1.0.0');
      assert.equal(versionItem.contextValue, 'version current active');
      assert.match(String(versionItem.description), /· active$/);
      assert.equal((versionItem.iconPath as vscode.ThemeIcon).id, 'rocket');

      await until(
        'the status bar to show the active version',
        () => engine().activeVersion.text === `$(rocket) ${name} 1.0.0`,
      );
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        uri,
      );
      assert.ok(
        lenses.some(
          (l) =>
            l.command?.title === '$(rocket) Promote' && l.command.command === 'mastercopy.promote',
        ),
        'a Promote code lens',
      );
    },
  );

  it(
    'promotes the next version: blue answers until the switch, then green, with no failed request; ' +
      'blue is drained and disposed of; the tree shows the phase meanwhile',
    async () => {
      await setVersion('1.1.0');
      const phases: string[] = [];
      const described: Promise<string>[] = [];
      const watch = engine().deploys.onDidChange((d) => {
        if (d.name !== name) return;
        if (d.phase && phases.at(-1) !== d.phase) phases.push(d.phase);
        // What the tree says at that moment (it reads the running promote, not the engine).
        described.push(
          masterCopyNode().then((n) => String(engine().tree.getTreeItem(n).description)),
        );
      });
      const bodies: string[] = [];
      const failures: string[] = [];
      let done = false;
      // Clients at about 40 requests a second, each on a new connection, for the whole promote.
      const clients = (async () => {
        while (!done) {
          await fetchBody(port).then(
            (b) => bodies.push(b),
            (e: Error) => failures.push(e.message),
          );
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      let result: PromoteResult;
      try {
        result = (await vscode.commands.executeCommand(
          'mastercopy.promote',
          await masterCopyNode(),
        )) as PromoteResult;
      } finally {
        done = true;
        watch.dispose();
        await clients;
      }
      assert.equal(result.status, 'promoted');
      assert.equal(result.replaced, '1.0.0');
      assert.deepEqual(phases, [
        'build',
        'keeper',
        'print',
        'health',
        'switch',
        'drain',
        'dispose',
      ]);
      assert.deepEqual(failures, [], 'no request failed');
      assert.ok(bodies.length > 3, `requests were made throughout (${bodies.length})`);
      const firstGreen = bodies.indexOf(`${name} 1.1.0`);
      assert.ok(firstGreen > 0, 'blue answered first');
      assert.deepEqual(new Set(bodies.slice(0, firstGreen)), new Set([`${name} 1.0.0`]));
      assert.deepEqual(
        new Set(bodies.slice(firstGreen)),
        new Set([`${name} 1.1.0`]),
        'once switched, only green',
      );
      const texts = await Promise.all(described);
      assert.ok(
        texts.some((t) => /^promoting → 1\.1\.0: (print green|health gate)/.test(t)),
        `the tree showed the phase (${texts.join(' | ')})`,
      );

      const [endpoint, ...versions] = await treeShows('blue gone from the tree', async () => {
        const kids = await children();
        return kids.filter((c) => c.kind === 'version').length === 1 && kids;
      });
      assert.deepEqual(
        versions.map((v) => v.kind === 'version' && [v.version, v.active]),
        [['1.1.0', true]],
        'blue is gone',
      );
      assert.match(String(engine().tree.getTreeItem(endpoint).description), /^→ 1\.1\.0 · /);
      assert.equal(await fetchBody(port), `${name} 1.1.0`);
      await until(
        'the status bar to follow',
        () => engine().activeVersion.text === `$(rocket) ${name} 1.1.0`,
      );
    },
  );

  it("rolls back from the preview's History: the image of 1.0.0 as it was built serves again, nothing rebuilt", async () => {
    await vscode.commands.executeCommand('mastercopy.openPreview', uri);
    const preview = api.preview;
    const shown = await until('the preview with the History', () => {
      const s = preview.current();
      return s && s.model.history?.length === 2 && s.model.promote && s;
    });
    assert.equal(shown.model.promote?.state, 'already-active', 'the file is at the active version');
    const [newest, older] = shown.model.history!;
    assert.deepEqual([newest.version, newest.active, newest.canRollBack], ['1.1.0', true, false]);
    assert.deepEqual([older.version, older.canRollBack], ['1.0.0', true]);
    assert.ok(
      shown.html.includes(`data-command="rollback" data-seq="${older.seq}"`),
      'a Roll back button for 1.0.0',
    );

    const served = (await readLedger(engine().engine.client, name)).find(
      (r) => r.seq === older.seq,
    )!;
    assert.equal(await preview.receive({ type: 'rollback', seq: older.seq }), 'ran');
    const ledger = await readLedger(engine().engine.client, name);
    const last = ledger.at(-1)!;
    assert.deepEqual(
      [last.action, last.version, last.outcome, last.replaced],
      ['rollback', '1.0.0', 'rolled-back', '1.1.0'],
    );
    assert.equal(last.imageId, served.imageId, 'the very image that served as 1.0.0');
    assert.equal(await fetchBody(port), `${name} 1.0.0`);

    const versions = await treeShows('1.0.0 alone in the tree', async () => {
      const v = (await children()).filter((c) => c.kind === 'version');
      return v.length === 1 && v;
    });
    assert.deepEqual(
      versions.map((v) => v.kind === 'version' && [v.version, v.active]),
      [['1.0.0', true]],
    );
    // The preview follows: the file's 1.1.0 would now replace 1.0.0.
    const after = await until('the preview to see the rollback', () => {
      const s = preview.current();
      return s?.model.promote?.from === '1.0.0' && s;
    });
    assert.equal(after.model.promote?.state, 'would-promote');
    assert.equal(after.model.history?.[0].action, 'rollback');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('the endpoint item copies its address', async () => {
    const endpoint = (await children()).find((c) => c.kind === 'endpoint');
    assert.ok(endpoint);
    assert.equal(
      await vscode.commands.executeCommand('mastercopy.copyAddress', endpoint),
      `http://127.0.0.1:${port}`,
    );
    assert.equal(await vscode.env.clipboard.readText(), `http://127.0.0.1:${port}`);
  });

  it('a master copy without `gateway` is promoted the same way, with no endpoint to move', async () => {
    await vscode.window.showTextDocument(plainUri);
    const result = (await vscode.commands.executeCommand(
      'mastercopy.promote',
      plainUri,
    )) as PromoteResult;
    assert.equal(result.status, 'promoted');
    assert.equal(result.gateway, null);
    const kids = await treeShows('the promoted version in the tree', async () => {
      const k = await children(plain);
      return k.some((c) => c.kind === 'version' && c.active) && k;
    });
    assert.ok(!kids.some((c) => c.kind === 'endpoint'), 'no endpoint item');
    assert.deepEqual(
      kids.map((v) => v.kind === 'version' && [v.version, v.active]),
      [['1.0.0', true]],
    );
    await until(
      'the status bar to show it (the master copy in front)',
      () => engine().activeVersion.text === `$(rocket) ${plain} 1.0.0`,
    );
  });

  it('promoting the active version again changes nothing', async () => {
    const result = (await vscode.commands.executeCommand(
      'mastercopy.promote',
      plainUri,
    )) as PromoteResult;
    assert.equal(result.status, 'already-active');
    const ledger = await readLedger(engine().engine.client, plain);
    assert.equal(ledger.length, 1, 'no record for a promote that did nothing');
  });
});
