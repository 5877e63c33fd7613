// What the engine says about our copies, shared by the tree, the status bar and
// the code lenses. Views never call the engine themselves: they read this model.
import * as vscode from 'vscode';
import { EngineUnreachableError } from '../../core/engine/errors';
import { nodeHttpProbe } from '../../core/copies/health';
import { listCopies, type CopyRecord } from '../../core/copies/ps';
import { nodeLockDeps } from '../../core/deploy/nodeDeployEnvironment';
import { readDeployOverviews, type DeployOverview } from '../../core/deploy/overview';
import { CoalescingRunner } from '../../core/util/coalescingRunner';
import type { EngineService } from '../engine/engineService';
import type { Log } from '../log';

export type EngineState =
  | { kind: 'unknown' }
  | {
      kind: 'ok';
      copies: CopyRecord[];
      deploys: ReadonlyMap<string, DeployOverview>;
      refreshedAt: number;
    }
  | { kind: 'down'; message: string; host: string };

export class CopiesModel implements vscode.Disposable {
  private _state: EngineState = { kind: 'unknown' };
  private readonly refresher = new CoalescingRunner(() => this.load());
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly engine: EngineService,
    private readonly log: Log,
  ) {}

  get state(): EngineState {
    return this._state;
  }

  /** Copies of one master copy (and version), from the last refresh. */
  copiesOf(name: string, version?: string): CopyRecord[] {
    if (this._state.kind !== 'ok') return [];
    return this._state.copies.filter(
      (c) => c.name === name && (version === undefined || c.version === version),
    );
  }

  /** The deployments of one master copy (its ledger, lock and endpoint), from the last refresh. */
  deployOf(name: string): DeployOverview | undefined {
    return this._state.kind === 'ok' ? this._state.deploys.get(name) : undefined;
  }

  /** Somebody (this window or another client) holds a deploy lock on the engine (a stale one does not count). */
  get deploying(): boolean {
    return (
      this._state.kind === 'ok' &&
      [...this._state.deploys.values()].some((d) => d.lock !== undefined)
    );
  }

  /** Asks the engine again; calls made while one is running share the next one. */
  refresh(): Promise<void> {
    return this.refresher.run();
  }

  private async load(): Promise<void> {
    const started = performance.now();
    let next: EngineState;
    try {
      const client = this.engine.client;
      // The deployments alongside: one status request per running keeper, per refresh.
      const [copies, deploys] = await Promise.all([
        listCopies(client, { probe: nodeHttpProbe, probeTimeoutMs: 800 }),
        readDeployOverviews(client, { statusTimeoutMs: 2000, lockDeps: nodeLockDeps() }),
      ]);
      next = { kind: 'ok', copies, deploys, refreshedAt: Date.now() };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!(e instanceof EngineUnreachableError)) this.log.error(e);
      next = { kind: 'down', message, host: this.engine.describe() };
    }
    if (next.kind !== this._state.kind)
      this.log.info(
        next.kind === 'ok'
          ? `engine reachable at ${this.engine.describe()}`
          : `engine: ${(next as { message: string }).message}`,
      );
    this._state = next;
    this.log.trace(`copies refreshed in ${(performance.now() - started).toFixed(0)} ms`);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
