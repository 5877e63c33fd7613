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

  /** Show the engine's timestamp before each log line. */
  get logTimestamps(): boolean {
    return this.config.get<boolean>('logs.timestamps', false);
  }

  /** Lines from the end of each copy's log that a new tail starts with. */
  get logTail(): number {
    return Math.max(0, Math.floor(this.config.get<number>('logs.tail', 200)));
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mastercopy')) listener();
    });
  }
}
