// "Master Copy: New Master Copy": scaffolds a valid, hardened master copy.
import * as vscode from 'vscode';
import { scaffoldMasterCopy, toMasterCopyName } from '../../core/mastercopy/scaffold';
import { MASTER_COPY_LANGUAGE } from '../language/convert';
import type { Command, CommandDeps } from './command';

export function newMasterCopyCommand({ log }: CommandDeps): Command {
  return {
    id: 'mastercopy.newMasterCopy',
    /** From the Explorer: the folder clicked. From tests or other commands: (folder, name). */
    async run(target?: unknown, givenName?: unknown) {
      const typed =
        typeof givenName === 'string'
          ? givenName
          : await vscode.window.showInputBox({
              title: 'New Master Copy',
              prompt: 'Name of the server (a lowercase DNS label: letters, digits and -)',
              value: 'my-server',
              validateInput: (v) =>
                v.trim()
                  ? toMasterCopyName(v) === v.trim()
                    ? undefined
                    : {
                        message: `Will be named ${toMasterCopyName(v)}`,
                        severity: vscode.InputBoxValidationSeverity.Info,
                      }
                  : 'Give the server a name',
            });
      if (typed === undefined) return undefined;
      const name = toMasterCopyName(typed);
      const text = scaffoldMasterCopy(name);

      const folder = await targetFolder(target);
      if (!folder) {
        const doc = await vscode.workspace.openTextDocument({
          language: MASTER_COPY_LANGUAGE,
          content: text,
        });
        await vscode.window.showTextDocument(doc);
        return doc.uri;
      }
      const uri = vscode.Uri.joinPath(folder, `${name}.mastercopy.yaml`);
      if (await exists(uri)) {
        void vscode.window.showWarningMessage(
          `${vscode.workspace.asRelativePath(uri)} already exists; opened it instead of overwriting it.`,
        );
      } else {
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
        log.info(`created ${uri.toString()}`);
      }
      await vscode.window.showTextDocument(uri);
      return uri;
    },
  };
}

async function targetFolder(target: unknown): Promise<vscode.Uri | undefined> {
  if (target instanceof vscode.Uri) {
    const stat = await vscode.workspace.fs.stat(target);
    return stat.type & vscode.FileType.Directory ? target : vscode.Uri.joinPath(target, '..');
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0]?.uri;
  const picked = await vscode.window.showWorkspaceFolderPick({
    placeHolder: 'Where should the new master copy go?',
  });
  return picked?.uri;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
