// The editor's print, promote, scale and dispose when `mastercopy.target` is `swarm`: the
// core of src/core/swarm/ behind a progress notification, nothing more.
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { nodeDeployEnvironment } from '../../core/deploy/nodeDeployEnvironment';
import type { MasterCopy } from '../../core/mastercopy/model';
import { disposeService } from '../../core/swarm/dispose';
import { printService } from '../../core/swarm/print';
import { promoteService } from '../../core/swarm/promote';
import { scaleService } from '../../core/swarm/scale';
import { taskText } from '../../core/swarm/service';
import type { PublishMode } from '../../core/swarm/spec';
import type { EngineCommandDeps } from './command';
import { abortSignalOf } from './target';

type Progress = vscode.Progress<{ message?: string }>;

function withSwarmProgress<T>(
  title: string,
  work: (progress: Progress, signal: AbortSignal) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => work(progress, abortSignalOf(token)),
  );
}

export async function printOnSwarm(
  { log, engine, model }: EngineCommandDeps,
  mc: MasterCopy,
  folder: string,
  copies: number,
  publishMode: PublishMode,
): Promise<unknown> {
  try {
    const result = await withSwarmProgress(
      `Printing ${copies} replicas of ${mc.name}:${mc.version} on the swarm`,
      (progress, signal) =>
        printService(engine.client, mc, folder, {
          copies,
          env: process.env,
          readFile: (p) => readFileSync(p, 'utf8'),
          publishMode,
          signal,
          onProgress: (e) => {
            if (e.kind === 'tasks')
              progress.report({ message: `${e.running} of ${e.replicas} running` });
            else if (e.kind === 'warning') log.warn(e.text);
          },
        }),
    );
    for (const t of result.failed) log.warn(`${mc.name} ${taskText(t)}`);
    const text = `${result.running.length} of ${result.replicas} replicas of ${mc.name}:${mc.version} running on the swarm.`;
    if (result.running.length < result.replicas) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
    return result;
  } finally {
    void model.refresh();
  }
}

export async function promoteOnSwarm(
  { log, engine, model }: EngineCommandDeps,
  mc: MasterCopy,
  folder: string,
  publishMode: PublishMode,
): Promise<unknown> {
  const deploy = nodeDeployEnvironment(engine.client, process.env, { scriptPath: '' });
  try {
    const result = await withSwarmProgress(
      `Promoting ${mc.name} to ${mc.version} on the swarm`,
      (progress, signal) =>
        promoteService(engine.client, { kind: 'file', mc, folder }, deploy, {
          publishMode,
          signal,
          onProgress: (e) => {
            if (e.kind === 'phase') progress.report({ message: e.text });
            else if (e.kind === 'update') progress.report({ message: `Swarm: ${e.state}` });
            else if (e.kind === 'warning') log.warn(e.text);
          },
        }),
    );
    void vscode.window.showInformationMessage(
      result.status === 'already-active'
        ? `${mc.name} ${mc.version} already serves on the swarm.`
        : `Promoted ${mc.name} to ${mc.version} on the swarm${result.replaced ? ` (was ${result.replaced})` : ''}.`,
    );
    return result;
  } finally {
    void model.refresh();
  }
}

export async function scaleOnSwarm(
  { engine, model }: EngineCommandDeps,
  name: string,
  n: number,
): Promise<unknown> {
  try {
    const result = await withSwarmProgress(
      `Scaling ${name} on the swarm to ${n}`,
      (progress, signal) =>
        scaleService(engine.client, name, n, {
          signal,
          onTasks: (running) => progress.report({ message: `${running} of ${n} running` }),
        }),
    );
    void vscode.window.showInformationMessage(
      `${name} on the swarm: ${result.before} → ${result.after} replicas.`,
    );
    return result;
  } finally {
    void model.refresh();
  }
}

export async function disposeOnSwarm(
  { engine, model }: EngineCommandDeps,
  name: string,
  confirmed: boolean,
): Promise<unknown> {
  if (!confirmed) {
    const answer = await vscode.window.showWarningMessage(
      `Dispose of ${name} on the swarm?`,
      {
        modal: true,
        detail:
          'Its service, its secrets and its network are removed (only ever ours). Its ledger stays.',
      },
      'Dispose',
    );
    if (answer !== 'Dispose') return undefined;
  }
  try {
    return await withSwarmProgress(`Disposing of ${name} on the swarm`, (_progress, signal) =>
      disposeService(engine.client, name, { signal }),
    );
  } finally {
    void model.refresh();
  }
}
