// The status bar items: which engine, and how many copies run on it; the active version.
import * as vscode from 'vscode';
import { Disposable } from '../core/util/lifecycle';
import { decisionText, endpointText, healingText, healingTrouble } from '../core/deploy/overview';
import { autoscaleText } from '../core/keeper/autoscaler';
import type { RunningDeploys } from './deploy/runningDeploys';
import type { EngineService } from './engine/engineService';
import { isMasterCopy } from './language/convert';
import type { DiagnosticsProvider } from './language/diagnostics';
import type { CopiesModel } from './tree/copiesModel';

export class EngineStatusBar extends Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem('mastercopy.engine', vscode.StatusBarAlignment.Left, 10),
  );

  constructor(
    private readonly model: CopiesModel,
    private readonly engine: EngineService,
  ) {
    super();
    this.item.name = 'Master Copy: Engine';
    this._register(model.onDidChange(() => this.update()));
    this.update();
    this.item.show();
  }

  private update(): void {
    const s = this.model.state;
    if (s.kind === 'down') {
      this.item.text = '$(error) Master Copy: engine down';
      this.item.tooltip = `${s.message}\n\nClick to try again.`;
      this.item.command = 'mastercopy.retryConnection';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else {
      const running =
        s.kind === 'ok' ? s.copies.filter((c) => c.state === 'running').length : undefined;
      this.item.text = `$(server-environment) ${running === undefined ? 'Master Copy' : `${running} running`}`;
      this.item.tooltip =
        `Master Copy — Docker engine at ${this.engine.describe()}` +
        `${running === undefined ? '' : `\n${running} cop${running === 1 ? 'y' : 'ies'} running`}`;
      this.item.command = 'workbench.view.extension.mastercopy';
      this.item.backgroundColor = undefined;
    }
  }
}

/**
 * The version that serves: of the master copy in the active editor, else of the only one
 * with a ledger on the engine. Hidden when there is none; a promote in this window shows
 * its phase.
 */
export class ActiveVersionStatusBar extends Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem(
      'mastercopy.activeVersion',
      vscode.StatusBarAlignment.Left,
      9,
    ),
  );

  constructor(
    private readonly model: CopiesModel,
    private readonly deploys: RunningDeploys,
    private readonly diagnostics: DiagnosticsProvider,
  ) {
    super();
    this.item.name = 'Master Copy: Active Version';
    this.item.command = 'workbench.view.extension.mastercopy';
    this._register(model.onDidChange(() => this.update()));
    this._register(deploys.onDidChange(() => this.update()));
    this._register(vscode.window.onDidChangeActiveTextEditor(() => this.update()));
    this._register(
      diagnostics.onDidValidate(
        (doc) => doc === vscode.window.activeTextEditor?.document && this.update(),
      ),
    );
    this.update();
  }

  /** What it shows now (for tests); undefined when hidden. */
  get text(): string | undefined {
    return this.shown ? this.item.text : undefined;
  }
  private shown = false;

  private nameInFront(): string | undefined | null {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !isMasterCopy(doc)) return null;
    const value = this.diagnostics.resultFor(doc)?.parsed.value as { name?: unknown } | undefined;
    return typeof value?.name === 'string' ? value.name : undefined;
  }

  private update(): void {
    const front = this.nameInFront();
    const s = this.model.state;
    const promoted = s.kind === 'ok' ? [...s.deploys.values()].filter((d) => d.active) : [];
    // null: no master copy in front, so the only one deployed stands in.
    const name = front === null ? (promoted.length === 1 ? promoted[0].name : undefined) : front;
    const running = name ? this.deploys.get(name) : undefined;
    const deploy = name ? this.model.deployOf(name) : undefined;
    const active = deploy?.active;
    if (!name || (!running && !active)) {
      this.shown = false;
      this.item.hide();
      return;
    }
    if (running) {
      this.item.backgroundColor = undefined;
      this.item.text =
        `$(sync~spin) ${name} ` +
        `${active && active.version !== running.version ? `${active.version} → ` : ''}${running.version}`;
      this.item.tooltip = `${running.action === 'rollback' ? 'Rolling back' : 'Promoting'} ${name} to ${running.version}: ${running.text}`;
    } else if (active) {
      const e = deploy?.endpoint;
      // A keeper that cannot keep the count (a crash loop) says so here too.
      const lastDecision = e?.autoscale?.decisions
        .filter((d) => d.version === active.version)
        .at(-1);
      const trouble =
        e?.healing?.version === active.version && healingTrouble(e.healing) ? e.healing : undefined;
      this.item.text =
        `$(${trouble ? 'warning' : 'rocket'}) ${name} ${active.version}` +
        `${trouble ? (trouble.state === 'backing-off' ? ' · backing off' : ' · cannot heal') : ''}`;
      this.item.backgroundColor = trouble
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
      this.item.tooltip = [
        `${name} ${active.version} is the active version ` +
          `(${active.record.action === 'rollback' ? 'rolled back to' : 'promoted'} ${active.record.at} ` +
          `by ${active.record.by.user}@${active.record.by.host}).`,
        e
          ? `Endpoint ${e.url}: ${endpointText(e)}`
          : 'No endpoint (the master copy has no `gateway`).',
        e?.healing?.version === active.version ? `Copies: ${healingText(e.healing)}` : undefined,
        e?.autoscale
          ? `Autoscaled ${autoscaleText(e.autoscale.policy)}` +
            `${lastDecision ? `; last: ${decisionText(lastDecision)}` : ''}`
          : undefined,
      ]
        .filter(Boolean)
        .join('\n');
    }
    this.shown = true;
    this.item.show();
  }
}
