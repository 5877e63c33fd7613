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

  /** The Node image the keeper is built on; empty means the local base when present, else the official one. */
  get keeperBaseImage(): string | undefined {
    return this.config.get<string>('keeper.baseImage', '').trim() || undefined;
  }

  /** The engine's socket on its host, mounted into the keeper; empty means the unix socket in use, else the usual one. */
  get keeperEngineSocket(): string | undefined {
    return this.config.get<string>('keeper.engineSocket', '').trim() || undefined;
  }

  /** Milliseconds the replaced version's open connections get after a switch. */
  get promoteDrainMs(): number {
    return Math.max(0, this.config.get<number>('promote.drainSeconds', 5)) * 1000;
  }

  /** Milliseconds the new version gets to be printed and healthy. */
  get promoteTimeoutMs(): number {
    return Math.max(1, this.config.get<number>('promote.timeoutSeconds', 60)) * 1000;
  }

  /** Where print, promote, scale and dispose put copies: this engine's containers, or a service of its swarm. */
  get target(): 'local' | 'swarm' {
    return this.config.get<string>('target', 'local') === 'swarm' ? 'swarm' : 'local';
  }

  /** How a service on the swarm target publishes its ports: through every node (ingress), or each task's node (host). */
  get swarmPublishMode(): 'ingress' | 'host' {
    return this.config.get<string>('swarm.publishMode', 'ingress') === 'host' ? 'host' : 'ingress';
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mastercopy')) listener();
    });
  }
}
