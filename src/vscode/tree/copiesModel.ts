// What the engine says about our copies, shared by the tree, the status bar and
// the code lenses. Views never call the engine themselves: they read this model.
import * as vscode from 'vscode';
import { EngineUnreachableError } from '../../core/engine/errors';
import { nodeHttpProbe } from '../../core/copies/health';
import { listCopies, type CopyRecord } from '../../core/copies/ps';
import { CoalescingRunner } from '../../core/util/coalescingRunner';
import type { EngineService } from '../engine/engineService';
import type { Log } from '../log';

export type EngineState =
  | { kind: 'unknown' }
  | { kind: 'ok'; copies: CopyRecord[]; refreshedAt: number }
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
    return this._state.copies.filter((c) => c.name === name && (version === undefined || c.version === version));
  }

  /** Asks the engine again; calls made while one is running share the next one. */
  refresh(): Promise<void> {
    return this.refresher.run();
  }

  private async load(): Promise<void> {
    const started = performance.now();
    let next: EngineState;
    try {
      const copies = await listCopies(this.engine.client, { probe: nodeHttpProbe, probeTimeoutMs: 800 });
      next = { kind: 'ok', copies, refreshedAt: Date.now() };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!(e instanceof EngineUnreachableError)) this.log.error(e instanceof Error ? e : new Error(message));
      next = { kind: 'down', message, host: this.engine.describe() };
    }
    if (next.kind !== this._state.kind) this.log.info(next.kind === 'ok' ? `engine reachable at ${this.engine.describe()}` : `engine: ${(next as { message: string }).message}`);
    this._state = next;
    this.log.trace(`copies refreshed in ${(performance.now() - started).toFixed(0)} ms`);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
