// Code lenses on a master copy: Preview · Build · Print ×N · Promote · n running · Tail Logs.
import * as vscode from 'vscode';
import { Disposable } from '../../core/util/lifecycle';
import type { CopiesModel } from '../tree/copiesModel';
import type { DiagnosticsProvider } from './diagnostics';
import { MASTER_COPY_SELECTOR } from './convert';

export class MasterCopyCodeLenses extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly diagnostics: DiagnosticsProvider,
    private readonly model: CopiesModel,
  ) {
    super();
    this._register(model.onDidChange(() => this.changed.fire()));
    this._register(diagnostics.onDidValidate(() => this.changed.fire()));
  }

  static register(diagnostics: DiagnosticsProvider, model: CopiesModel): vscode.Disposable {
    const provider = new MasterCopyCodeLenses(diagnostics, model);
    return vscode.Disposable.from(
      provider,
      vscode.languages.registerCodeLensProvider(MASTER_COPY_SELECTOR, provider),
    );
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const result = this.diagnostics.resultFor(doc);
    const mc = result?.masterCopy;
    if (!mc) return [];
    // On the `name:` line, where the eye looks for what this file is.
    const nameLoc = result.parsed.locate(['name']);
    const line = nameLoc ? doc.positionAt(nameLoc.value.start).line : 0;
    const range = new vscode.Range(line, 0, line, 0);
    const n = mc.copies ?? 1;
    const running = this.model
      .copiesOf(mc.name, mc.version)
      .filter((c) => c.state === 'running').length;
    const lenses = [
      new vscode.CodeLens(range, {
        title: '$(open-preview) Preview',
        command: 'mastercopy.openPreview',
        arguments: [doc.uri],
        tooltip: 'See what this master copy becomes: its Dockerfile, the plan, the running copies',
      }),
      new vscode.CodeLens(range, {
        title: '$(tools) Build',
        command: 'mastercopy.build',
        arguments: [doc.uri],
        tooltip: `Build ${mc.name}:${mc.version}`,
      }),
      new vscode.CodeLens(range, {
        title: `$(copy) Print ×${n}`,
        command: 'mastercopy.print',
        arguments: [doc.uri, n],
        tooltip: `Print ${n} hardened copies of ${mc.name}:${mc.version}`,
      }),
      new vscode.CodeLens(range, {
        title: '$(rocket) Promote',
        command: 'mastercopy.promote',
        arguments: [doc.uri],
        tooltip:
          `Blue/green: print ${mc.name}:${mc.version} beside the version that serves, ` +
          `switch ${mc.gateway ? `the endpoint on port ${mc.gateway.port}` : 'to it'} once healthy, dispose of the old`,
      }),
    ];
    if (this.model.state.kind === 'ok') {
      lenses.push(
        new vscode.CodeLens(range, {
          title: `${running} running`,
          command: 'workbench.view.extension.mastercopy',
          tooltip: 'Show the copies',
        }),
      );
      if (running > 0)
        lenses.push(
          new vscode.CodeLens(range, {
            title: '$(output) Tail Logs',
            command: 'mastercopy.tailLogs',
            arguments: [doc.uri],
            tooltip: `Follow the logs of every copy of ${mc.name}, merged`,
          }),
        );
    }
    return lenses;
  }
}
