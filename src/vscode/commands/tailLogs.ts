// "Master Copy: Tail Logs": one copy, a version, or a whole master copy, merged, in a terminal.
import * as vscode from 'vscode';
import { LogTail } from '../../core/logs/LogTail';
import { describeLogTarget } from '../../core/logs/resolveLogTarget';
import type { LogTarget } from '../../core/logs/types';
import { LogTerminal } from '../logs/logTerminal';
import type { LogViews } from '../logs/logViews';
import type { Settings } from '../settings';
import type { Command, EngineCommandDeps } from './command';
import { fileOf, isNode } from './target';

export function tailLogsCommand(
  { log, engine, files, model }: EngineCommandDeps,
  settings: Settings,
  views: LogViews,
): Command {
  return {
    id: 'mastercopy.tailLogs',
    async run(arg?: unknown) {
      const target = await targetOf(arg);
      if (!target) return undefined;
      const title = describeLogTarget(target);
      const tail = new LogTail(engine.client, target, { tail: settings.logTail });
      const pty = new LogTerminal(tail, { title, timestamps: settings.logTimestamps });
      const terminal = vscode.window.createTerminal({
        name: `Logs: ${title}`,
        pty,
        iconPath: new vscode.ThemeIcon('output'),
      });
      views.add(terminal, pty);
      terminal.show(true);
      log.info(`tailing the logs of ${title}`);
      return { terminal, pty };
    },
  };

  async function targetOf(arg: unknown): Promise<LogTarget | undefined> {
    if (isNode(arg)) {
      if (arg.kind === 'copy') return { containerId: arg.copy.id };
      if (arg.kind === 'version') return { name: arg.name, version: arg.version };
      if (arg.kind === 'masterCopy') return { name: arg.name };
    }
    const uri = fileOf(arg) ?? activeMasterCopy();
    if (uri) {
      const f = await files.read(uri);
      if (!f.name)
        throw new Error(
          `${vscode.workspace.asRelativePath(uri)} has no valid \`name\` yet, so there are no copies to tail.`,
        );
      return { name: f.name };
    }
    // From the palette with no master copy in front: pick one of the names that have copies.
    await model.refresh();
    const names =
      model.state.kind === 'ok' ? [...new Set(model.state.copies.map((c) => c.name))].sort() : [];
    if (names.length === 0)
      throw new Error('No copies are running, so there are no logs to tail. Print some first.');
    const picked =
      names.length === 1
        ? names[0]
        : await vscode.window.showQuickPick(names, {
            title: 'Tail the logs of which master copy?',
          });
    return picked ? { name: picked } : undefined;
  }
}

function activeMasterCopy(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && /\.mastercopy\.ya?ml$/.test(doc.uri.path) ? doc.uri : undefined;
}
