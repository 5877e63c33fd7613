// Completion and hover: thin adapters over the core language service.
import * as vscode from 'vscode';
import { completeAt, type CompletionItem } from '../../core/mastercopy/completion';
import { hoverAt } from '../../core/mastercopy/hover';
import { MASTER_COPY_SELECTOR, toRange } from './convert';

const kinds: Record<CompletionItem['kind'], vscode.CompletionItemKind> = {
  property: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.Value,
  snippet: vscode.CompletionItemKind.Snippet,
};

export function registerLanguageFeatures(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.languages.registerCompletionItemProvider(
      MASTER_COPY_SELECTOR,
      {
        provideCompletionItems(doc, position) {
          const result = completeAt(doc.getText(), doc.offsetAt(position), {
            fileName: doc.uri.path.split('/').pop(),
          });
          return result.items.map((item) => {
            const out = new vscode.CompletionItem(item.label, kinds[item.kind]);
            out.insertText = item.isSnippet
              ? new vscode.SnippetString(item.insertText)
              : item.insertText;
            if (item.detail) out.detail = item.detail;
            if (item.documentation)
              out.documentation = new vscode.MarkdownString(item.documentation);
            if (item.sortText) out.sortText = item.sortText;
            if (item.replaceRange) out.range = toRange(doc, item.replaceRange);
            return out;
          });
        },
      },
      ' ',
      ':',
    ),
    vscode.languages.registerHoverProvider(MASTER_COPY_SELECTOR, {
      provideHover(doc, position) {
        const h = hoverAt(doc.getText(), doc.offsetAt(position));
        return h && new vscode.Hover(new vscode.MarkdownString(h.markdown), toRange(doc, h.range));
      },
    }),
  );
}
