// Diagnostics as you type: each open master copy is validated after a short
// pause (mastercopy.validation.delay), incrementally (only the changed section
// is parsed again), and again when files it refers to appear or disappear.
import * as vscode from 'vscode';
import { Disposable } from '../../core/util/lifecycle';
import type { ValidationResult } from '../../core/mastercopy/validator';
import { MasterCopyValidator } from '../../core/mastercopy/validator';
import { nodeFileAccess } from '../../core/mastercopy/fileAccess';
import type { Log } from '../log';
import type { Settings } from '../settings';
import { isMasterCopy, toDiagnostic } from './convert';

export class DiagnosticsProvider extends Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('mastercopy');
  private readonly validator = new MasterCopyValidator(nodeFileAccess);
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly results = new Map<string, ValidationResult>();
  private readonly onDidValidateEmitter = new vscode.EventEmitter<vscode.TextDocument>();
  /** Fires after a document's diagnostics are updated. */
  readonly onDidValidate = this.onDidValidateEmitter.event;

  constructor(
    private readonly log: Log,
    private readonly settings: Settings,
  ) {
    super();
    this._register(this.collection);
    this._register(this.onDidValidateEmitter);
    this._register(vscode.workspace.onDidOpenTextDocument((d) => this.validateNow(d)));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)));
    // A `source:` that appears or disappears changes what is valid.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    this._register(watcher);
    this._register(watcher.onDidCreate(() => this.revalidateAll()));
    this._register(watcher.onDidDelete(() => this.revalidateAll()));
    for (const d of vscode.workspace.textDocuments) this.validateNow(d);
  }

  /** The last result for a document (validating it now if there is none). */
  resultFor(doc: vscode.TextDocument): ValidationResult | undefined {
    if (!isMasterCopy(doc)) return undefined;
    return this.results.get(doc.uri.toString()) ?? this.validateNow(doc);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isMasterCopy(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.validateNow(doc);
      }, this.settings.validationDelay),
    );
  }

  private revalidateAll(): void {
    for (const d of vscode.workspace.textDocuments) if (isMasterCopy(d)) this.schedule(d);
  }

  validateNow(doc: vscode.TextDocument): ValidationResult | undefined {
    if (!isMasterCopy(doc) || doc.isClosed) return undefined;
    const key = doc.uri.toString();
    try {
      const started = performance.now();
      const cold = this.validator.isCold(key);
      const result = this.validator.validate(key, doc.getText(), {
        path: doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined,
      });
      if (cold) this.warmSoon(doc);
      this.results.set(key, result);
      this.collection.set(
        doc.uri,
        result.diagnostics.map((d) => toDiagnostic(doc, d)),
      );
      this.log.trace(
        `validated ${vscode.workspace.asRelativePath(doc.uri)} ` +
          `in ${(performance.now() - started).toFixed(1)} ms: ${result.diagnostics.length} problems`,
      );
      this.onDidValidateEmitter.fire(doc);
      return result;
    } catch (e) {
      // A bug in validation must not take the editor down with it.
      this.log.error(e);
      return undefined;
    }
  }

  /** After the first validation, fill the incremental cache while the editor is idle. */
  private warmSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const timer = setTimeout(() => {
      this.pending.delete(`warm:${key}`);
      if (!doc.isClosed && this.validator.isCold(key)) this.validator.warm(key, doc.getText());
    }, 0);
    this.pending.set(`warm:${key}`, timer);
  }

  private forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    for (const k of [key, `warm:${key}`]) {
      clearTimeout(this.pending.get(k));
      this.pending.delete(k);
    }
    this.results.delete(key);
    this.validator.forget(key);
    // Problems of a closed file stay only while the file still exists on disk.
    if (doc.uri.scheme !== 'file') this.collection.delete(doc.uri);
  }

  override dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    super.dispose();
  }
}
