import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Master Copy', { log: true });
  context.subscriptions.push(log);
  log.info('Master Copy activated');
}

export function deactivate(): void {}
