// "Master Copy: Select Target…": where Print, Promote, Scale and Dispose put a master copy —
// the engine's containers (local) or a service of its swarm — written to the
// `mastercopy.target` setting of the workspace (of the user, without a workspace).
import * as vscode from 'vscode';
import type { Command, EngineCommandDeps } from './command';

const TARGETS = [
  {
    target: 'local',
    label: '$(vm) Local containers',
    detail: 'Copies are containers of the engine, hardened, behind the keeper for a gateway.',
  },
  {
    target: 'swarm',
    label: '$(server-environment) Docker Swarm service',
    detail:
      "A service of the engine's swarm (a manager): replicas are the copies, promote is a rolling update.",
  },
] as const;

export function selectTargetCommand({ log, model }: EngineCommandDeps): Command {
  return {
    id: 'mastercopy.selectTarget',
    /** (target?): without one, asks. */
    async run(arg?: unknown) {
      const config = vscode.workspace.getConfiguration('mastercopy');
      const current = config.get<string>('target', 'local');
      let target = TARGETS.find((t) => t.target === arg)?.target;
      if (!target) {
        const picked = await vscode.window.showQuickPick(
          TARGETS.map((t) => ({
            ...t,
            description: t.target === current ? 'current' : undefined,
          })),
          { title: 'Where Print, Promote, Scale and Dispose put a master copy' },
        );
        if (!picked) return undefined;
        target = picked.target;
      }
      const where = vscode.workspace.workspaceFolders?.length
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
      await config.update('target', target, where);
      log.info(`target: ${target}`);
      void model.refresh();
      return target;
    },
  };
}
