// "Master Copy: Replace Drifted Copies": cattle, not pets. Each drifted copy of the master
// copy (a tree node's, a name's, or the active editor's) gets a fresh copy of its version;
// the drifted one goes once that is healthy — through the keeper, with no failed request,
// for the active version behind a gateway (core/drift/replace.ts).
import * as vscode from 'vscode';
import { replaceDrifted } from '../../core/drift/replace';
import type { Command, EngineCommandDeps } from './command';
import { editorHealthProber, type ProberDeps } from './healthProber';
import { abortSignalOf, isNode, resolveMasterCopy } from './target';

export function replaceDriftedCommand(deps: EngineCommandDeps & ProberDeps): Command {
  const { log, engine, files, model } = deps;
  return {
    id: 'mastercopy.replaceDrifted',
    /** (tree node | name | file?): the master copy whose drifted copies go. */
    async run(arg?: unknown) {
      let name: string | undefined;
      if (typeof arg === 'string') name = arg;
      else if (isNode(arg) && arg.kind !== 'engineDown')
        name = arg.kind === 'copy' ? arg.copy.name : arg.name;
      else name = (await resolveMasterCopy(arg, files, 'replaced'))?.masterCopy.name;
      if (!name) return undefined;
      const target = name;
      // What drifted now, not at the last refresh.
      await model.checkDriftNow();
      const state = model.state;
      if (state.kind === 'down') throw new Error(`The engine is not reachable: ${state.message}`);
      const drifted = model.driftedCopiesOf(target);
      if (!drifted.length) {
        void vscode.window.showInformationMessage(`No copy of ${target} has drifted.`);
        return { replaced: [], printed: [] };
      }
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Replacing ${drifted.length} drifted cop${drifted.length === 1 ? 'y' : 'ies'} of ${target}`,
          cancellable: true,
        },
        (progress, token) =>
          replaceDrifted(engine.client, target, drifted, {
            signal: abortSignalOf(token),
            prober: editorHealthProber(deps),
            onProgress: (line) => {
              log.info(line);
              progress.report({ message: line });
            },
          }).finally(() => void model.checkDriftNow()),
      );
      void vscode.window.showInformationMessage(
        `${target}: replaced ${result.replaced.length} drifted cop${result.replaced.length === 1 ? 'y' : 'ies'} with fresh ones.`,
      );
      return result;
    },
  };
}
