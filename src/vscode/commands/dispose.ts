// "Master Copy: Dispose": stops and removes copies — only ever ours, after asking.
import * as vscode from 'vscode';
import { disposeCopies, type DisposeTarget } from '../../core/copies/dispose';
import type { Command, DeployCommandDeps, EngineCommandDeps } from './command';
import { disposeOnSwarm } from './swarmTarget';
import { abortSignalOf, isNode, resolveMasterCopy } from './target';

export function disposeCommand(
  deps: EngineCommandDeps & Pick<DeployCommandDeps, 'settings'>,
): Command {
  const { log, engine, files, model } = deps;
  return {
    id: 'mastercopy.dispose',
    /** (node | file, { confirmed?: true }) — tests pass confirmed to skip the dialog. */
    async run(arg?: unknown, options?: unknown) {
      const confirmedOnSwarm =
        !!options &&
        typeof options === 'object' &&
        (options as { confirmed?: unknown }).confirmed === true;
      if (deps.settings.target === 'swarm') {
        const name =
          isNode(arg) && 'name' in arg
            ? arg.name
            : (await resolveMasterCopy(arg, files, 'disposed'))?.masterCopy.name;
        return name === undefined ? undefined : disposeOnSwarm(deps, name, confirmedOnSwarm);
      }
      let target: DisposeTarget;
      if (isNode(arg) && arg.kind === 'copy') target = { copy: arg.copy.id };
      else if (isNode(arg) && arg.kind === 'version')
        target = { name: arg.name, version: arg.version };
      else if (isNode(arg) && arg.kind === 'masterCopy') target = { name: arg.name, all: true };
      else {
        const t = await resolveMasterCopy(arg, files, 'disposed');
        if (!t) return undefined;
        target = { name: t.masterCopy.name, version: t.masterCopy.version };
      }
      const confirmed =
        !!options &&
        typeof options === 'object' &&
        (options as { confirmed?: unknown }).confirmed === true;
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: 'Disposing copies',
          cancellable: true,
        },
        (progress, token) =>
          disposeCopies(engine.client, target, {
            signal: abortSignalOf(token),
            confirm: async (copies) => {
              if (confirmed) return true;
              const versions = [...new Set(copies.map((c) => `${c.name}:${c.version}`))].join(', ');
              const answer = await vscode.window.showWarningMessage(
                `Dispose ${copies.length} cop${copies.length === 1 ? 'y' : 'ies'} of ${versions}?`,
                {
                  modal: true,
                  detail: 'They are stopped gracefully and removed. Volumes are kept.',
                },
                'Dispose',
              );
              return answer === 'Dispose';
            },
            onProgress: (e) => {
              if (e.kind === 'disposed') {
                progress.report({ message: `${e.copy.name}:${e.copy.version} #${e.copy.index}` });
                log.info(
                  `disposed ${e.copy.name}:${e.copy.version} #${e.copy.index} (${e.copy.id.slice(0, 12)})`,
                );
              }
            },
          }).finally(() => void model.refresh()),
      );
      if (!result.cancelled && result.disposed.length === 0)
        void vscode.window.showInformationMessage('There were no copies to dispose.');
      return result;
    },
  };
}
