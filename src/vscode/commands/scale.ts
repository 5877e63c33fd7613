// "Master Copy: Scale": as many copies of the current version as asked, no more, no less.
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { MAX_COPIES } from '../../core/copies/print';
import { scaleCopies } from '../../core/copies/scale';
import type { Command, EngineCommandDeps } from './command';
import { editorHealthProber, type ProberDeps } from './healthProber';
import { scaleOnSwarm } from './swarmTarget';
import { abortSignalOf, resolveMasterCopy } from './target';

export function scaleCommand(deps: EngineCommandDeps & ProberDeps): Command {
  const { log, engine, files, model } = deps;
  return {
    id: 'mastercopy.scale',
    /** (target, n?): without n, asks (and confirms a scale-down); with n, does as told. */
    async run(arg?: unknown, count?: unknown) {
      const target = await resolveMasterCopy(arg, files, 'scaled');
      if (!target) return undefined;
      const { masterCopy: mc, folder } = target;
      const current = model.copiesOf(mc.name, mc.version).length;
      let n = typeof count === 'number' ? count : undefined;
      if (n === undefined) {
        const typed = await vscode.window.showInputBox({
          title: `Scale ${mc.name}:${mc.version}`,
          prompt: `How many copies? (${current} now)`,
          value: String(mc.copies ?? Math.max(current, 1)),
          validateInput: (v) =>
            /^\d+$/.test(v.trim()) && Number(v) <= MAX_COPIES
              ? undefined
              : `A whole number from 0 to ${MAX_COPIES}`,
        });
        if (typed === undefined) return undefined;
        n = Number(typed.trim());
      }
      if (deps.settings.target === 'swarm') return scaleOnSwarm(deps, mc.name, n);
      if (n < current && !(typeof count === 'number')) {
        const answer = await vscode.window.showWarningMessage(
          `Scale ${mc.name}:${mc.version} down from ${current} to ${n}?`,
          {
            modal: true,
            detail: `${current - n} cop${current - n === 1 ? 'y is' : 'ies are'} stopped gracefully and removed, highest index first.`,
          },
          'Scale Down',
        );
        if (answer !== 'Scale Down') return undefined;
      }
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Scaling ${mc.name}:${mc.version} to ${n}`,
          cancellable: true,
        },
        (_p, token) =>
          scaleCopies(engine.client, mc, folder, n!, {
            env: process.env,
            readFile: (p) => readFileSync(p, 'utf8'),
            signal: abortSignalOf(token),
            prober: editorHealthProber(deps),
            onRemoved: (c) => log.info(`disposed ${c.name}:${c.version} #${c.index}`),
          }).finally(() => void model.refresh()),
      );
      void vscode.window.showInformationMessage(
        `${mc.name}:${mc.version}: ${result.before} → ${result.after} copies.`,
      );
      return result;
    },
  };
}
