import * as vscode from 'vscode';

/** Typed access to the `mastercopy.*` settings, read when needed (they can change at any time). */
export class Settings {
  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('mastercopy');
  }

  /** Milliseconds between a keystroke and the validation that follows. */
  get validationDelay(): number {
    return Math.max(0, this.config.get<number>('validation.delay', 150));
  }

  /** An explicit engine endpoint; empty means "resolve it like the Docker CLI". */
  get dockerHost(): string {
    return this.config.get<string>('dockerHost', '').trim();
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mastercopy')) listener();
    });
  }
}
