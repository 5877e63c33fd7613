// The open log terminals: so that commands can find the one in front, and tests can read them.
import * as vscode from 'vscode';
import { Disposable } from '../../core/util/lifecycle';
import type { LogTerminal } from './logTerminal';

export class LogViews extends Disposable {
  private readonly open = new Map<vscode.Terminal, LogTerminal>();

  constructor() {
    super();
    this._register(vscode.window.onDidCloseTerminal((t) => this.open.delete(t)));
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
}
