import * as vscode from 'vscode';
import { isAbortError } from '../../core/engine/errors';
import type { EngineService } from '../engine/engineService';
import type { Log } from '../log';
import type { RunningDeploys } from '../deploy/runningDeploys';
import type { WorkspaceMasterCopies } from '../masterCopies';
import type { Settings } from '../settings';
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

/** What a command that deploys (promote, rollback) uses. */
export interface DeployCommandDeps extends EngineCommandDeps {
  settings: Settings;
  /** The deploys running in this window, for the tree and the status bar. */
  deploys: RunningDeploys;
  /** The bundled keeper program (dist/keeper.js), built into the keeper's image. */
  keeperScript: string;
}

export interface Command {
  id: string;
  run(...args: unknown[]): unknown;
}

/**
 * Registers commands through one wrapper: an error becomes a message the user
 * can act on (with the log one click away) instead of a silent failure. A Cancel
 * (a progress notification's token, bridged to an AbortSignal) is no failure: it is
 * logged at info and says nothing else.
 */
export function registerCommands(
  context: vscode.ExtensionContext,
  log: Log,
  commands: Command[],
): void {
  for (const c of commands) {
    context.subscriptions.push(
      vscode.commands.registerCommand(c.id, async (...args: unknown[]) => {
        try {
          return await c.run(...args);
        } catch (e) {
          if (isAbortError(e)) {
            log.info(`${c.id}: cancelled`);
            return undefined;
          }
          log.error(e);
          void vscode.window
            .showErrorMessage(e instanceof Error ? e.message : String(e), 'Show Log')
            .then((choice) => choice && log.show());
          return undefined;
        }
      }),
    );
  }
}
