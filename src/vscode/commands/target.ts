// Which master copy a command is about: the tree node or file it was run on,
// else the master copy in the active editor, else one the user picks.
import * as vscode from 'vscode';
import { BuildError } from '../../core/build/errors';
import { valueRange } from '../../core/mastercopy/schemaValidation';
import { validateText } from '../../core/mastercopy/validator';
import type { PathSegment } from '../../core/mastercopy/yamlSource';
import type { MasterCopy } from '../../core/mastercopy/model';
import { nodeFileAccess } from '../../core/mastercopy/fileAccess';
import type { Log } from '../log';
import { folderOf, type WorkspaceMasterCopies } from '../masterCopies';
import type { CopiesNode } from '../tree/copiesTree';
import { isMasterCopy, toRange } from '../language/convert';

export interface MasterCopyTarget {
  uri: vscode.Uri;
  masterCopy: MasterCopy;
  folder: string;
}

export function isNode(arg: unknown): arg is CopiesNode {
  return (
    !!arg &&
    typeof arg === 'object' &&
    'kind' in arg &&
    typeof (arg as { kind: unknown }).kind === 'string'
  );
}

/** The file a command argument points at, if any. */
export function fileOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (isNode(arg) && arg.kind !== 'engineDown' && arg.kind !== 'event') return arg.file?.uri;
  return undefined;
}

/**
 * Resolves the master copy to act on and makes sure it is saved and valid.
 * Returns undefined when the user cancelled a picker.
 */
export async function resolveMasterCopy(
  arg: unknown,
  files: WorkspaceMasterCopies,
  verb: string,
): Promise<MasterCopyTarget | undefined> {
  let uri = fileOf(arg);
  if (!uri && isNode(arg) && arg.kind !== 'engineDown') {
    const name = arg.kind === 'copy' ? arg.copy.name : arg.name;
    throw new Error(
      `There is no master copy file for ${name} in this workspace, so it cannot be ${verb} from here. Open the folder that holds it.`,
    );
  }
  const active = vscode.window.activeTextEditor?.document;
  if (!uri && active && isMasterCopy(active)) uri = active.uri;
  if (!uri) {
    const all = await files.all();
    if (all.length === 0)
      throw new Error(
        'There is no master copy (*.mastercopy.yaml) in this workspace. Create one with "Master Copy: New Master Copy".',
      );
    const picked =
      all.length === 1
        ? all[0]
        : (
            await vscode.window.showQuickPick(
              all.map((f) => ({
                label: f.name ?? vscode.workspace.asRelativePath(f.uri),
                description: f.version,
                detail: vscode.workspace.asRelativePath(f.uri),
                file: f,
              })),
              { title: `Which master copy should be ${verb}?`, matchOnDetail: true },
            )
          )?.file;
    if (!picked) return undefined;
    uri = picked.uri;
  }
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri!.toString());
  if (open?.isDirty) await open.save();
  const text = open
    ? open.getText()
    : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const result = validateText(text, { path: uri.fsPath }, nodeFileAccess);
  if (!result.masterCopy) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const where = first ? ` The first: ${first.message}` : '';
    throw new Error(
      `${vscode.workspace.asRelativePath(uri)} has ${errors.length} problem${errors.length === 1 ? '' : 's'} ` +
        `to fix before it can be ${verb}.${where}`,
    );
  }
  return { uri, masterCopy: result.masterCopy, folder: folderOf(uri) };
}

/** Opens the master copy with the part at `path` selected (where a build step failed, say). */
export async function revealPath(uri: vscode.Uri, path: readonly PathSegment[]): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const range = toRange(
    doc,
    valueRange(validateText(doc.getText(), { path: uri.fsPath }).parsed, path),
  );
  await vscode.window.showTextDocument(doc, { selection: range });
}

/** VS Code's cancellation token as the AbortSignal the core understands. */
export function abortSignalOf(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/**
 * A build that failed at a value of the master copy: the error, with Show in Master Copy
 * (revealing that value in `uri`) and Show Log. False when `e` is not one (the caller goes on).
 */
export function showBuildErrorAt(e: unknown, uri: vscode.Uri, log: Log): boolean {
  if (!(e instanceof BuildError) || !e.path) return false;
  const path = e.path;
  log.error(e);
  void vscode.window
    .showErrorMessage(e.message, 'Show in Master Copy', 'Show Log')
    .then((c) => (c === 'Show Log' ? log.show() : c && revealPath(uri, path)));
  return true;
}
