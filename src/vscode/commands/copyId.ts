// "Copy ID": a copy's container id, for the docker CLI or a bug report.
import * as vscode from 'vscode';
import type { Command, CommandDeps } from './command';
import { isNode } from './target';

export function copyIdCommand(_deps: CommandDeps): Command {
  return {
    id: 'mastercopy.copyId',
    async run(arg?: unknown) {
      if (!isNode(arg) || arg.kind !== 'copy')
        throw new Error('Copy ID works on a copy in the Copies view.');
      await vscode.env.clipboard.writeText(arg.copy.id);
      vscode.window.setStatusBarMessage(
        `Copied the id of ${arg.copy.name} #${arg.copy.index}`,
        3000,
      );
      return arg.copy.id;
    },
  };
}
