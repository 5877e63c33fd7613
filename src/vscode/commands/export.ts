// "Master Copy: Export…": the master copy in the editor (or the file clicked) for another tool.
// A text target (Kubernetes, OpenShift, Compose, devcontainer.json) opens as an untitled
// document made from the editor's text: nothing is read or written, so it works in an
// untrusted workspace too. The dockerfile eject reads the master copy's sources and writes a
// folder: it is offered only in a trusted workspace (a folder nobody vouched for should not
// get files written from its own content), into a new folder the user names, then revealed.
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import {
  exportMasterCopy,
  exportText,
  mainText,
  writeExport,
  type ExportTarget,
} from '../../core/export';
import { nodeFileAccess } from '../../core/mastercopy/fileAccess';
import { validateText } from '../../core/mastercopy/validator';
import { MASTER_COPY_LANGUAGE } from '../language/convert';
import type { Command, CommandDeps } from './command';

interface TargetItem extends vscode.QuickPickItem {
  target: ExportTarget;
  language: string;
}

const TEXT_TARGETS: TargetItem[] = [
  {
    target: 'kubernetes',
    language: 'yaml',
    label: 'Kubernetes',
    description: 'Deployment, Service, claims, ConfigMap',
  },
  {
    target: 'openshift',
    language: 'yaml',
    label: 'OpenShift',
    description: 'the same for restricted-v2, and a Route',
  },
  { target: 'compose', language: 'yaml', label: 'Compose', description: 'compose.yaml' },
  {
    target: 'devcontainer',
    language: 'jsonc',
    label: 'Dev Container',
    description: 'devcontainer.json on the image',
  },
];
const EJECT: TargetItem = {
  target: 'dockerfile',
  language: 'dockerfile',
  label: 'Dockerfile',
  description: 'the Dockerfile and its build context as a folder',
};

export function exportCommand({ log }: CommandDeps): Command {
  return {
    id: 'mastercopy.export',
    /** From the Explorer or the editor title: the file. From tests: (uri, target). */
    async run(arg?: unknown, given?: unknown) {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      const document = uri ? await vscode.workspace.openTextDocument(uri) : undefined;
      if (!document || document.languageId !== MASTER_COPY_LANGUAGE)
        throw new Error('Open a master copy (*.mastercopy.yaml) to export it.');
      const items = vscode.workspace.isTrusted ? [...TEXT_TARGETS, EJECT] : TEXT_TARGETS;
      const picked =
        items.find((i) => i.target === given) ??
        (await vscode.window.showQuickPick(items, {
          title: 'Export Master Copy',
          placeHolder: 'Export to…',
        }));
      if (!picked) return undefined;

      const path = document.uri.fsPath;
      const validation = validateText(document.getText(), { path }, nodeFileAccess);
      const mc = validation.masterCopy;
      if (!mc)
        throw new Error(
          `${basename(path)} has errors (see the Problems view); fix them first, then export.`,
        );
      const source = { fileName: basename(path) };

      if (picked.target !== 'dockerfile') {
        const result = exportText(mc, picked.target, source);
        const doc = await vscode.workspace.openTextDocument({
          language: picked.language,
          content: mainText(result),
        });
        await vscode.window.showTextDocument(doc, { preview: false });
        log.info(`exported ${mc.name} ${mc.version} to ${picked.target} (untitled)`);
        return doc.uri;
      }

      // The eject: trusted only (it reads the sources and writes files), into a new folder. A
      // `dockerfile:` master copy's folder is its build context: the folder goes beside it.
      if (!vscode.workspace.isTrusted)
        throw new Error('Ejecting a Dockerfile needs a trusted workspace.');
      const home = mc.dockerfile !== undefined ? dirname(dirname(path)) : dirname(path);
      const suggested = vscode.Uri.file(join(home, `${mc.name}-${mc.version}-dockerfile`));
      const target =
        given !== undefined
          ? suggested
          : await vscode.window.showSaveDialog({
              title: `Eject ${mc.name} ${mc.version}: a new folder for the Dockerfile and its build context`,
              defaultUri: suggested,
              saveLabel: 'Eject Here',
            });
      if (!target) return undefined;
      const folder = target.fsPath;
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Ejecting ${mc.name} ${mc.version}`,
          cancellable: true,
        },
        async (_progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            const r = await exportMasterCopy(mc, 'dockerfile', source, {
              folder: dirname(path),
              signal: abort.signal,
            });
            await writeExport(r, folder, undefined, abort.signal);
            return r;
          } finally {
            sub.dispose();
          }
        },
      );
      log.info(`ejected ${mc.name} ${mc.version} into ${folder} (${result.files.length} entries)`);
      const dockerfile = vscode.Uri.joinPath(target, ...result.main.split('/'));
      await vscode.window.showTextDocument(dockerfile, { preview: false });
      if (vscode.workspace.getWorkspaceFolder(target))
        await vscode.commands.executeCommand('revealInExplorer', target);
      return target;
    },
  };
}
