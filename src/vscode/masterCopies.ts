// The master copies in the workspace: found by file name, kept up to date by a
// file watcher, each read for the few fields the tree and code lenses show.
import * as vscode from 'vscode';
import { Disposable } from '../core/util/lifecycle';
import { dirname } from 'node:path';
import type { MasterCopy } from '../core/mastercopy/model';
import { nodeFileAccess } from '../core/mastercopy/fileAccess';
import { validateText } from '../core/mastercopy/validator';
import type { Log } from './log';

export const MASTER_COPY_GLOB = '**/*.mastercopy.{yaml,yml}';

export interface WorkspaceMasterCopy {
  uri: vscode.Uri;
  /** From the file, even when the rest of it has errors. */
  name?: string;
  version?: string;
  copies?: number;
  /** Set when the file validates. */
  masterCopy?: MasterCopy;
  errors: number;
}

export class WorkspaceMasterCopies extends Disposable {
  private files = new Map<string, WorkspaceMasterCopy>();
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private loaded?: Promise<void>;

  constructor(private readonly log: Log) {
    super();
    const watcher = vscode.workspace.createFileSystemWatcher(MASTER_COPY_GLOB);
    this._register(watcher);
    this._register(watcher.onDidCreate((u) => this.reload(u)));
    this._register(watcher.onDidChange((u) => this.reload(u)));
    this._register(
      watcher.onDidDelete((u) => {
        this.files.delete(u.toString());
        this.changed.fire();
      }),
    );
    this._register(
      vscode.workspace.onDidSaveTextDocument(
        (d) => /\.mastercopy\.ya?ml$/.test(d.uri.path) && this.reload(d.uri),
      ),
    );
  }

  async all(): Promise<WorkspaceMasterCopy[]> {
    this.loaded ??= this.scan();
    await this.loaded;
    return [...this.files.values()].sort((a, b) =>
      (a.name ?? a.uri.path).localeCompare(b.name ?? b.uri.path),
    );
  }

  /** The master copy in a file (read now, from the open editor if there is one). */
  async read(uri: vscode.Uri): Promise<WorkspaceMasterCopy> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = open
      ? open.getText()
      : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const result = validateText(text, { path: uri.fsPath }, nodeFileAccess);
    const value = (result.parsed.value ?? {}) as Record<string, unknown>;
    return {
      uri,
      name: typeof value.name === 'string' ? value.name : undefined,
      version: typeof value.version === 'string' ? value.version : undefined,
      copies: typeof value.copies === 'number' ? value.copies : undefined,
      masterCopy: result.masterCopy,
      errors: result.diagnostics.filter((d) => d.severity === 'error').length,
    };
  }

  private async scan(): Promise<void> {
    const uris = await vscode.workspace.findFiles(MASTER_COPY_GLOB, '**/node_modules/**');
    await Promise.all(uris.map((u) => this.reload(u, false)));
    this.changed.fire();
  }

  private async reload(uri: vscode.Uri, fire = true): Promise<void> {
    try {
      this.files.set(uri.toString(), await this.read(uri));
    } catch (e) {
      this.log.warn(`could not read ${uri.toString()}: ${(e as Error).message}`);
      this.files.delete(uri.toString());
    }
    if (fire) this.changed.fire();
  }
}

/** The folder a master copy's relative paths are resolved against. */
export function folderOf(uri: vscode.Uri): string {
  return dirname(uri.fsPath);
}
