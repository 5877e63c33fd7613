// The promotes and rollbacks this window runs now, with their phase: the tree and the
// status bar show it without asking the engine (a promote by another client shows through
// its lock on the engine instead).
import * as vscode from 'vscode';
import type { PromotePhase } from '../../core/deploy/promote';
import type { DeployAction } from '../../core/deploy/ledger';

export interface RunningDeploy {
  name: string;
  version: string;
  action: DeployAction;
  /** Undefined until the first phase starts (the lock is being taken). */
  phase?: PromotePhase;
  /** What the phase does, as the promote says it. */
  text: string;
  /** The switch is done: there is no going back (nor cancelling). */
  switched: boolean;
}

export interface DeployHandle {
  phase(phase: PromotePhase, text: string): void;
  end(): void;
}

/** What each phase is called where a person reads it. */
export const PHASE_LABELS: Record<PromotePhase, string> = {
  build: 'build',
  keeper: 'endpoint',
  print: 'print green',
  health: 'health gate',
  switch: 'switch',
  drain: 'drain',
  dispose: 'dispose blue',
};

export class RunningDeploys implements vscode.Disposable {
  private readonly running = new Map<string, RunningDeploy>();
  private readonly changed = new vscode.EventEmitter<RunningDeploy>();
  /** Fires with the deploy whose phase changed, started or ended. */
  readonly onDidChange = this.changed.event;

  /** The deploy of master copy `name` running in this window, if any. */
  get(name: string): RunningDeploy | undefined {
    return this.running.get(name);
  }

  all(): RunningDeploy[] {
    return [...this.running.values()];
  }

  start(name: string, version: string, action: DeployAction): DeployHandle {
    const deploy: RunningDeploy = {
      name,
      version,
      action,
      text: 'taking the deploy lock',
      switched: false,
    };
    this.running.set(name, deploy);
    this.changed.fire(deploy);
    return {
      phase: (phase, text) => {
        deploy.phase = phase;
        deploy.text = text;
        if (phase === 'switch') deploy.switched = true;
        this.changed.fire(deploy);
      },
      end: () => {
        if (this.running.get(name) !== deploy) return;
        this.running.delete(name);
        this.changed.fire(deploy);
      },
    };
  }

  dispose(): void {
    this.changed.dispose();
  }
}
