// When the copies model refreshes: on the engine's events (debounced), after a
// reconnect, and on a slow safety poll — and only while someone is looking.
import * as vscode from 'vscode';
import { Disposable } from '../../core/util/lifecycle';
import { isAbortError } from '../../core/engine/errors';
import { delay } from '../../core/util/delay';
import type { EngineEvent, EventFilter } from '../../core/engine/EngineClient';
import { LABEL_COPY } from '../../core/engine/labels';
import type { EngineService } from '../engine/engineService';
import type { Log } from '../log';
import type { CopiesModel } from './copiesModel';
import { DEFAULT_REFRESH_TIMINGS, type RefreshTimings } from './refreshTimings';

/** Container events after which a copy may no longer match its version, or there is another to check. */
const DRIFT_ACTIONS = new Set(['create', 'start', 'destroy', 'update', 'rename']);

export class RefreshManager extends Disposable {
  private run?: AbortController;
  private debounce?: NodeJS.Timeout;
  private poll?: NodeJS.Timeout;
  private deployPoll?: NodeJS.Timeout;
  /** Engine events seen; for tests and the log. */
  eventsSeen = 0;

  constructor(
    private readonly model: CopiesModel,
    private readonly engine: EngineService,
    private readonly log: Log,
    private readonly timings: RefreshTimings = DEFAULT_REFRESH_TIMINGS,
  ) {
    super();
    this._register(engine.onDidChange(() => this.restart()));
    this._register(model.onDidChange(() => this.pollWhileDeploying()));
  }

  private viewVisible = false;
  private holds = 0;

  /** The Copies view was shown or hidden. */
  setViewVisible(visible: boolean): void {
    this.viewVisible = visible;
    this.update();
  }

  /** Keeps following while held, e.g. by a visible preview that shows live copies. */
  hold(): vscode.Disposable {
    this.holds++;
    this.update();
    let released = false;
    return new vscode.Disposable(() => {
      if (released) return;
      released = true;
      this.holds--;
      this.update();
    });
  }

  /** Whether it follows the engine now (someone looks); for tests and the log. */
  get following(): boolean {
    return this.run !== undefined;
  }

  private update(): void {
    if (this.viewVisible || this.holds > 0) this.start();
    else this.stop();
  }

  /** Start following the engine (idempotent). */
  start(): void {
    if (this.run) return;
    const run = (this.run = new AbortController());
    void this.model.refresh();
    void this.follow(run.signal, { labels: {}, types: ['container'] });
    void this.follow(run.signal, { labels: {}, networkEvents: true });
    // The safety poll checks drift too (an event may have been missed).
    this.poll = setInterval(() => void this.model.checkDriftNow(), this.timings.pollMs);
  }

  stop(): void {
    this.run?.abort();
    this.run = undefined;
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    clearTimeout(this.deployPoll);
    this.deployPoll = undefined;
  }

  /** While somebody deploys, look again soon: its switch and its end (the lock going) raise no container event. */
  private pollWhileDeploying(): void {
    if (!this.run || this.deployPoll || !this.model.deploying) return;
    this.deployPoll = setTimeout(() => {
      this.deployPoll = undefined;
      void this.model.refresh();
    }, this.timings.deployPollMs);
  }

  private restart(): void {
    if (!this.run) return;
    this.stop();
    this.start();
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.model.refresh(), this.timings.debounceMs);
  }

  /** An engine event: refresh soon, with a drift check if it can cause drift. */
  private onEvent(ev: EngineEvent): void {
    if (ev.type === 'network') {
      // Connected to or disconnected from a network (any: a foreign one is drift too).
      if (!/^(connect|disconnect)$/.test(ev.action)) return;
      if (!this.model.isCopy(ev.attributes.container ?? '')) return;
      this.model.markDriftDue();
    } else if (ev.action.startsWith('exec_')) {
      // A command run inside a copy may have changed its files; one in a keeper (our own
      // status requests) changes nothing the model shows, and following those would loop.
      if (!ev.action.startsWith('exec_start') || !(LABEL_COPY in ev.attributes)) return;
      this.model.markDriftDue();
    } else if (DRIFT_ACTIONS.has(ev.action)) this.model.markDriftDue();
    this.eventsSeen++;
    this.schedule();
  }

  /** Follows an event stream, reconnecting with a growing pause after the engine goes away. */
  private async follow(signal: AbortSignal, filter: Omit<EventFilter, 'since'>): Promise<void> {
    let wait = this.timings.retryMs;
    let since: number | undefined;
    while (!signal.aborted) {
      try {
        const events = this.engine.client.events({ ...filter, since }, signal);
        let first = true;
        for await (const ev of events) {
          if (first) {
            // Connected (again): whatever happened meanwhile is in the model after one refresh.
            first = false;
            wait = this.timings.retryMs;
          }
          since = ev.time;
          this.onEvent(ev);
        }
        // The stream ended without an error: the engine went away or restarted.
        if (!signal.aborted) this.log.debug('engine event stream ended; reconnecting');
      } catch (e) {
        if (signal.aborted || isAbortError(e)) return;
        this.log.debug(`engine event stream: ${(e as Error).message}; retrying in ${wait} ms`);
      }
      void this.model.refresh();
      // Aborted: the loop ends at its test (delay removes its listener, so none pile up on `signal`).
      await delay(wait, signal).catch(() => undefined);
      wait = Math.min(wait * 2, this.timings.maxRetryMs);
    }
  }

  override dispose(): void {
    this.stop();
    super.dispose();
  }
}
