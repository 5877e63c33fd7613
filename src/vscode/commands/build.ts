// "Master Copy: Build": the image of a master copy, with the build's steps as progress.
import * as vscode from 'vscode';
import { buildMasterCopy } from '../../core/build/build';
import type { Command, EngineCommandDeps } from './command';
import { abortSignalOf, resolveMasterCopy, showBuildErrorAt } from './target';

export function buildCommand({ log, engine, files, model }: EngineCommandDeps): Command {
  return {
    id: 'mastercopy.build',
    async run(arg?: unknown) {
      const target = await resolveMasterCopy(arg, files, 'built');
      if (!target) return undefined;
      const { masterCopy: mc, folder, uri } = target;
      const tag = `${mc.name}:${mc.version}`;
      try {
        const result = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `Building ${tag}`,
            cancellable: true,
          },
          (progress, token) =>
            buildMasterCopy(engine.client, mc, folder, {
              signal: abortSignalOf(token),
              onProgress: (e) => {
                if (e.kind === 'step')
                  progress.report({
                    message: `step ${e.step}/${e.total}: ${e.instruction.slice(0, 80)}`,
                  });
                else log.info(`[build ${tag}] ${e.text}`);
              },
            }),
        );
        const message =
          result.status === 'up-to-date'
            ? `${tag} is already built from exactly this master copy (nothing to do).`
            : `Built ${tag}.`;
        log.info(`${message} image ${result.imageId}, digest ${result.digest}`);
        void vscode.window.showInformationMessage(message);
        void model.refresh();
        return result;
      } catch (e) {
        // Point at the line of the master copy that caused it.
        if (showBuildErrorAt(e, uri, log)) return undefined;
        throw e;
      }
    },
  };
}
