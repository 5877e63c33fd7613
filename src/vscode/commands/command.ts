import * as vscode from 'vscode';
import type { EngineService } from '../engine/engineService';
import type { Log } from '../log';
import type { WorkspaceMasterCopies } from '../masterCopies';
import type { CopiesModel } from '../tree/copiesModel';

/** What a command may use; passed in, never global. */
export interface CommandDeps {
  log: Log;
}

/** What a command that talks to the engine uses. */
export interface EngineCommandDeps extends CommandDeps {
  engine: EngineService;
  files: WorkspaceMasterCopies;
  model: CopiesModel;
}

export interface Command {
  id: string;
  run(...args: unknown[]): unknown;
}

/**
 * Registers commands through one wrapper: an error becomes a message the user
 * can act on (with the log one click away) instead of a silent failure.
 */
export function registerCommands(context: vscode.ExtensionContext, log: Log, commands: Command[]): void {
  for (const c of commands) {
    context.subscriptions.push(
      vscode.commands.registerCommand(c.id, async (...args: unknown[]) => {
        try {
          return await c.run(...args);
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          log.error(err);
          void vscode.window.showErrorMessage(err.message, 'Show Log').then((choice) => choice && log.show());
          return undefined;
        }
      }),
    );
  }
}
