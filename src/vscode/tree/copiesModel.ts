// What the engine says about our copies, shared by the tree, the status bar and
// the code lenses. Views never call the engine themselves: they read this model.
import * as vscode from 'vscode';
import { EngineUnreachableError } from '../../core/engine/errors';
import { nodeHttpProbe } from '../../core/copies/health';
import { isLocalEngine } from '../../core/engine/hostResolution';
import { listCopies, type CopyRecord } from '../../core/copies/ps';
import { nodeLockDeps } from '../../core/deploy/nodeDeployEnvironment';
import { readDeployOverviews, type DeployOverview } from '../../core/deploy/overview';
import { checkDrift, type CopyDrift } from '../../core/drift/drift';
import { listServiceCopies, type ServiceCopies } from '../../core/swarm/tasks';
import { CoalescingRunner } from '../../core/util/coalescingRunner';
import type { EngineService } from '../engine/engineService';
import type { Log } from '../log';

export type EngineState =
  | { kind: 'unknown' }
  | {
      kind: 'ok';
      copies: CopyRecord[];
      deploys: ReadonlyMap<string, DeployOverview>;
      /** Each copy's and keeper's drift, by container id, as last checked. */
      drift: ReadonlyMap<string, CopyDrift>;
      /** The Swarm target: each master copy's service and its tasks (none when the engine is in no swarm). */
      services: ReadonlyMap<string, ServiceCopies>;
      refreshedAt: number;
    }
  | { kind: 'down'; message: string; host: string };

export class CopiesModel implements vscode.Disposable {
  private _state: EngineState = { kind: 'unknown' };
  private readonly refresher = new CoalescingRunner(() => this.load());
  private readonly changed = new vscode.EventEmitter<void>();
  /** Check drift with the next refresh (an event that can cause it, or asked for). */
  private driftDue = true;
  private drift: ReadonlyMap<string, CopyDrift> = new Map();
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

  /** The Swarm service of one master copy, with its tasks, from the last refresh. */
  serviceOf(name: string): ServiceCopies | undefined {
    return this._state.kind === 'ok' ? this._state.services.get(name) : undefined;
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

  /** Is this container one of our copies (or keepers), as of the last refresh? */
  isCopy(id: string): boolean {
    return (
      this._state.kind === 'ok' &&
      (this._state.copies.some((c) => c.id === id) || this._state.drift.has(id))
    );
  }

  /** The drift of a copy or keeper (by container id), from the last check. */
  driftOf(id: string): CopyDrift | undefined {
    return this._state.kind === 'ok' ? this._state.drift.get(id) : undefined;
  }

  /** The keeper of `name`, when it drifted (from the last check). */
  keeperDriftOf(name: string): CopyDrift | undefined {
    if (this._state.kind !== 'ok') return undefined;
    return [...this._state.drift.values()].find(
      (d) => d.role === 'keeper' && d.name === name && d.state === 'drifted',
    );
  }

  /** Every drifted copy of `name` (and version), from the last check. */
  driftedCopiesOf(name: string, version?: string): CopyDrift[] {
    if (this._state.kind !== 'ok') return [];
    return [...this._state.drift.values()].filter(
      (d) =>
        d.role === 'copy' &&
        d.state === 'drifted' &&
        d.name === name &&
        (version === undefined || d.version === version),
    );
  }

  /**
   * Drift is checked with the next refresh: after an engine event that can cause it or
   * changes what there is to check (create, start, destroy, update, exec, rename, network
   * connect/disconnect), and on demand.
   */
  markDriftDue(): void {
    this.driftDue = true;
  }

  /** Refresh, checking drift too. */
  checkDriftNow(): Promise<void> {
    this.driftDue = true;
    return this.refresh();
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
      // The deployments alongside: one status request per running keeper, per refresh; and
      // the drift check when one is due (it inspects every copy).
      const due = this.driftDue;
      this.driftDue = false;
      const [copies, deploys, checked, services] = await Promise.all([
        // Ports are published on the engine's 127.0.0.1: reachable from here only when it is local.
        listCopies(client, {
          probe: isLocalEngine(client.endpoint) ? nodeHttpProbe : undefined,
          probeTimeoutMs: 800,
        }),
        readDeployOverviews(client, { statusTimeoutMs: 2000, lockDeps: nodeLockDeps() }),
        due
          ? checkDrift(client).catch((e: unknown) => {
              this.log.warn(`drift check: ${e instanceof Error ? e.message : String(e)}`);
              return undefined;
            })
          : undefined,
        // An engine in no swarm answers that it is none: there are no services, then.
        listServiceCopies(client).catch(() => [] as ServiceCopies[]),
      ]);
      if (checked) this.drift = new Map(checked.map((d) => [d.id, d]));
      next = {
        kind: 'ok',
        copies,
        deploys,
        drift: this.drift,
        services: new Map(services.map((s) => [s.name, s])),
        refreshedAt: Date.now(),
      };
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
