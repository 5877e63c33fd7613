// The status bar item: which engine, and how many copies run on it.
import * as vscode from 'vscode';
import type { EngineService } from './engine/engineService';
import type { CopiesModel } from './tree/copiesModel';

export class EngineStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mastercopy.engine', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [this.item];

  constructor(
    private readonly model: CopiesModel,
    private readonly engine: EngineService,
  ) {
    this.item.name = 'Master Copy: Engine';
    this.subscriptions.push(model.onDidChange(() => this.update()));
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
      const running = s.kind === 'ok' ? s.copies.filter((c) => c.state === 'running').length : undefined;
      this.item.text = `$(server-environment) ${running === undefined ? 'Master Copy' : `${running} running`}`;
      this.item.tooltip = `Master Copy — Docker engine at ${this.engine.describe()}${running === undefined ? '' : `\n${running} cop${running === 1 ? 'y' : 'ies'} running`}`;
      this.item.command = 'workbench.view.extension.mastercopy';
      this.item.backgroundColor = undefined;
    }
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
