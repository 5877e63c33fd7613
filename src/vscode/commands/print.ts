// "Master Copy: Print Copies": builds if needed, then prints N hardened copies in parallel.
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { printCopies, type PrintResult } from '../../core/copies/print';
import type { Command, EngineCommandDeps } from './command';
import { editorHealthProber, type ProberDeps } from './healthProber';
import { printOnSwarm } from './swarmTarget';
import { abortSignalOf, resolveMasterCopy, showBuildErrorAt } from './target';

export function printCommand(deps: EngineCommandDeps & ProberDeps): Command {
  const { log, engine, files, model } = deps;
  return {
    id: 'mastercopy.print',
    /** (target, count?): without a count, the master copy's `copies`. */
    async run(arg?: unknown, count?: unknown) {
      const target = await resolveMasterCopy(arg, files, 'printed');
      if (!target) return undefined;
      const { masterCopy: mc, folder, uri } = target;
      const n = typeof count === 'number' ? count : (mc.copies ?? 1);
      if (deps.settings.target === 'swarm')
        return printOnSwarm(deps, mc, folder, n, deps.settings.swarmPublishMode);
      const what = `${n} cop${n === 1 ? 'y' : 'ies'} of ${mc.name}:${mc.version}`;
      let result: PrintResult;
      try {
        result = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `Printing ${what}`,
            cancellable: true,
          },
          (progress, token) =>
            printCopies(engine.client, mc, folder, {
              copies: n,
              env: process.env,
              readFile: (p) => readFileSync(p, 'utf8'),
              signal: abortSignalOf(token),
              prober: editorHealthProber(deps),
              onProgress: (e) => {
                switch (e.kind) {
                  case 'build':
                    if (e.event.kind === 'step')
                      progress.report({
                        message: `building: step ${e.event.step}/${e.event.total}`,
                      });
                    else log.info(`[build ${mc.name}:${mc.version}] ${e.event.text}`);
                    break;
                  case 'starting':
                    progress.report({
                      message: `starting ${e.count} cop${e.count === 1 ? 'y' : 'ies'}`,
                    });
                    break;
                  case 'waiting-for-health':
                    progress.report({ message: `waiting for ${e.count} to be healthy` });
                    break;
                  case 'started':
                    log.info(
                      `printed ${mc.name}:${mc.version} #${e.copy.index} (${e.copy.id.slice(0, 12)})`,
                    );
                    break;
                }
              },
            }),
        );
      } catch (e) {
        if (showBuildErrorAt(e, uri, log)) return undefined;
        throw e;
      } finally {
        void model.refresh();
      }
      if (result.unhealthy.length) {
        for (const u of result.unhealthy)
          log.warn(
            `copy #${u.index} of ${mc.name}:${mc.version} never became healthy: ${u.reason}\n${u.lastLogLines.join('\n')}`,
          );
        const indices = result.unhealthy.map((u) => `#${u.index}`).join(', ');
        void vscode.window
          .showWarningMessage(
            `Printed ${what}, but ${indices} never became healthy: ${result.unhealthy[0].reason}`,
            'Show Log',
          )
          .then((c) => c && log.show());
      } else {
        void vscode.window.showInformationMessage(
          `Printed ${what}${result.healthChecked ? ', all healthy' : ''}.`,
        );
      }
      return result;
    },
  };
}
