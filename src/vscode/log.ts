import * as vscode from 'vscode';

/**
 * The one logger: a LogOutputChannel ("Master Copy" in the Output view), so the
 * user picks the level and errors keep their stack.
 */
export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;

  constructor(name = 'Master Copy') {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  trace(message: string, ...args: unknown[]): void {
    this.channel.trace(message, ...args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.channel.debug(message, ...args);
  }
  info(message: string, ...args: unknown[]): void {
    this.channel.info(message, ...args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.channel.warn(message, ...args);
  }
  /** Anything thrown: an Error keeps its stack, anything else is shown as text. */
  error(message: unknown, ...args: unknown[]): void {
    this.channel.error(
      typeof message === 'string' || message instanceof Error
        ? message
        : new Error(String(message)),
      ...args,
    );
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
