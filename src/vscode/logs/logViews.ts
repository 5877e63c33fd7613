// The open log terminals: so that commands can find the one in front, and tests can read them.
import * as vscode from 'vscode';
import type { LogTerminal } from './logTerminal';

export class LogViews implements vscode.Disposable {
  private readonly open = new Map<vscode.Terminal, LogTerminal>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(vscode.window.onDidCloseTerminal((t) => this.open.delete(t)));
  }

  add(terminal: vscode.Terminal, pty: LogTerminal): void {
    this.open.set(terminal, pty);
  }

  /** The log terminal in front, else the last one opened. */
  active(): LogTerminal | undefined {
    const t = vscode.window.activeTerminal;
    return (t && this.open.get(t)) ?? [...this.open.values()].pop();
  }

  all(): { name: string; pty: LogTerminal }[] {
    return [...this.open].map(([t, pty]) => ({ name: t.name, pty }));
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
