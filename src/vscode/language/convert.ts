// Core (offsets) ↔ VS Code (positions) conversions.
import * as vscode from 'vscode';
import type { Diagnostic, OffsetRange, Severity } from '../../core/mastercopy/diagnostic';

export const MASTER_COPY_LANGUAGE = 'mastercopy';
export const MASTER_COPY_SELECTOR: vscode.DocumentSelector = [
  { language: MASTER_COPY_LANGUAGE },
  { pattern: '**/*.mastercopy.{yaml,yml}' },
];

export function isMasterCopy(doc: vscode.TextDocument): boolean {
  return doc.languageId === MASTER_COPY_LANGUAGE || /\.mastercopy\.ya?ml$/.test(doc.uri.path);
}

export function toRange(doc: vscode.TextDocument, r: OffsetRange): vscode.Range {
  return new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end));
}

const severities: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

export function toDiagnostic(doc: vscode.TextDocument, d: Diagnostic): vscode.Diagnostic {
  const out = new vscode.Diagnostic(toRange(doc, d.range), d.message, severities[d.severity]);
  out.source = 'mastercopy';
  out.code = d.code;
  return out;
}
