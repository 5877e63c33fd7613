import * as vscode from 'vscode';

/** Completion and hover over the core language service. */
export function registerLanguageFeatures(_context: vscode.ExtensionContext): void {}
