// Drift as warnings in the master copy itself: while copies of the file's version run and
// drifted, each difference is shown at the line of the property that differs ("copy 1 of
// 1.0.0 runs with memory 128m; this file says 64m"). Computed from the copies model's last
// drift check (which the engine's events start, never a keystroke) and the last validation.
import * as vscode from 'vscode';
import { driftDiagnostics } from '../../core/drift/drift';
import { Disposable } from '../../core/util/lifecycle';
import type { CopiesModel } from '../tree/copiesModel';
import { isMasterCopy, toDiagnostic } from './convert';
import type { DiagnosticsProvider } from './diagnostics';

export class DriftDiagnostics extends Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('mastercopy-drift');

  constructor(
    private readonly diagnostics: DiagnosticsProvider,
    private readonly model: CopiesModel,
  ) {
    super();
    this._register(this.collection);
    this._register(model.onDidChange(() => this.updateAll()));
    this._register(diagnostics.onDidValidate((doc) => this.update(doc)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)));
    this.updateAll();
  }

  private updateAll(): void {
    for (const doc of vscode.workspace.textDocuments) if (isMasterCopy(doc)) this.update(doc);
  }

  private update(doc: vscode.TextDocument): void {
    const state = this.model.state;
    const result = this.diagnostics.resultFor(doc);
    const mc = result?.masterCopy;
    if (doc.isClosed || !result || !mc || state.kind !== 'ok') {
      this.collection.delete(doc.uri);
      return;
    }
    const found = driftDiagnostics(result.parsed, mc, [...state.drift.values()]);
    this.collection.set(
      doc.uri,
      found.map((d) => toDiagnostic(doc, d)),
    );
  }
}
