// The "Copies" tree: master copy → version → copies. Items carry their state in
// contextValue, and the menus in package.json match on it.
import * as vscode from 'vscode';
import { compareVersions, type CopyRecord } from '../../core/copies/ps';
import type { WorkspaceMasterCopies, WorkspaceMasterCopy } from '../masterCopies';
import type { CopiesModel } from './copiesModel';

export type CopiesNode =
  | { kind: 'engineDown'; message: string; host: string }
  | { kind: 'masterCopy'; name: string; file?: WorkspaceMasterCopy; copies: CopyRecord[] }
  | { kind: 'version'; name: string; version: string; file?: WorkspaceMasterCopy; copies: CopyRecord[] }
  | { kind: 'copy'; copy: CopyRecord; file?: WorkspaceMasterCopy };

export class CopiesTreeProvider implements vscode.TreeDataProvider<CopiesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CopiesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly model: CopiesModel,
    private readonly files: WorkspaceMasterCopies,
  ) {
    this.subscriptions.push(model.onDidChange(() => this.changed.fire(undefined)), files.onDidChange(() => this.changed.fire(undefined)));
  }

  async getChildren(node?: CopiesNode): Promise<CopiesNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'masterCopy') {
      const versions = [...new Set(node.copies.map((c) => c.version))].sort((a, b) => compareVersions(b, a));
      return versions.map((version) => ({ kind: 'version', name: node.name, version, file: node.file, copies: node.copies.filter((c) => c.version === version) }));
    }
    if (node.kind === 'version') return node.copies.map((copy) => ({ kind: 'copy', copy, file: node.file }));
    return [];
  }

  private async roots(): Promise<CopiesNode[]> {
    const files = await this.files.all();
    const state = this.model.state;
    const copies = state.kind === 'ok' ? state.copies : [];
    const out: CopiesNode[] = [];
    if (state.kind === 'down') out.push({ kind: 'engineDown', message: state.message, host: state.host });
    const names = new Map<string, WorkspaceMasterCopy | undefined>();
    for (const f of files) if (f.name && !names.has(f.name)) names.set(f.name, f);
    for (const c of copies) if (!names.has(c.name)) names.set(c.name, undefined);
    for (const [name, file] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
      out.push({ kind: 'masterCopy', name, file, copies: copies.filter((c) => c.name === name) });
    }
    return out;
  }

  getTreeItem(node: CopiesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'engineDown': {
        const item = new vscode.TreeItem('Docker engine not reachable', vscode.TreeItemCollapsibleState.None);
        item.description = node.host;
        item.tooltip = new vscode.MarkdownString(`${escapeMd(node.message)}\n\nClick to try again.`);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'engineDown';
        item.command = { command: 'mastercopy.retryConnection', title: 'Retry' };
        return item;
      }
      case 'masterCopy': {
        const running = node.copies.filter((c) => c.state === 'running').length;
        const item = new vscode.TreeItem(node.name, node.copies.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        // VS Code keeps an item's old collapsed state by id: a master copy that gets its
        // first copies must count as a new item, or it stays a leaf.
        item.id = `mc:${node.name}:${node.copies.length ? 'copies' : 'none'}`;
        item.description = [running ? `${running} running` : node.copies.length ? 'none running' : 'no copies', node.file ? vscode.workspace.asRelativePath(node.file.uri) : 'no file in this workspace'].join(' · ');
        item.iconPath = new vscode.ThemeIcon('files');
        item.resourceUri = node.file?.uri;
        item.tooltip = new vscode.MarkdownString(`**${escapeMd(node.name)}**${node.file?.version ? ` ${escapeMd(node.file.version)}` : ''}\n\n${node.copies.length} cop${node.copies.length === 1 ? 'y' : 'ies'}, ${running} running${node.file ? `\n\n${escapeMd(vscode.workspace.asRelativePath(node.file.uri))}` : ''}`);
        item.contextValue = ['masterCopy', node.file ? 'hasFile' : 'noFile', node.copies.length ? 'hasCopies' : 'noCopies'].join(' ');
        if (node.file) item.command = { command: 'vscode.open', title: 'Open Master Copy', arguments: [node.file.uri] };
        return item;
      }
      case 'version': {
        const healthy = node.copies.filter((c) => c.health === 'healthy').length;
        const running = node.copies.filter((c) => c.state === 'running').length;
        const item = new vscode.TreeItem(node.version, vscode.TreeItemCollapsibleState.Expanded);
        const current = node.file?.version === node.version;
        item.description = `${node.copies.length} cop${node.copies.length === 1 ? 'y' : 'ies'} · ${running} running${healthy ? ` · ${healthy} healthy` : ''}${current ? ' · current' : ''}`;
        item.iconPath = new vscode.ThemeIcon('versions');
        item.contextValue = ['version', node.file && current ? 'current' : 'other'].join(' ');
        return item;
      }
      case 'copy': {
        const c = node.copy;
        const item = new vscode.TreeItem(`#${c.index}`, vscode.TreeItemCollapsibleState.None);
        item.id = `c:${c.id}`;
        const ports = c.ports.filter((p) => p.host !== null).map((p) => `${p.hostIp ?? '127.0.0.1'}:${p.host}→${p.container}${p.protocol === 'udp' ? '/udp' : ''}`);
        item.description = [c.state, c.health !== 'none' ? c.health : undefined, ...ports].filter(Boolean).join(' · ');
        item.iconPath = copyIcon(c);
        item.tooltip = new vscode.MarkdownString(
          [`**${escapeMd(c.name)}** ${escapeMd(c.version)} copy #${c.index}`, `id \`${c.shortId}\` · ${c.state}${c.health !== 'none' ? ` · ${c.health}` : ''}`, ports.length ? `ports: ${ports.join(', ')}` : 'no published ports', c.digestMatches ? 'image digest matches' : '⚠ the image for this version was rebuilt since this copy was printed'].join('\n\n'),
        );
        const http = c.state === 'running' && c.ports.some((p) => p.protocol === 'tcp' && p.host !== null);
        item.contextValue = ['copy', c.state, http ? 'http' : 'nohttp'].join(' ');
        return item;
      }
    }
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}

function copyIcon(c: CopyRecord): vscode.ThemeIcon {
  if (c.state !== 'running') return new vscode.ThemeIcon(c.state === 'restarting' ? 'debug-restart' : 'circle-outline', new vscode.ThemeColor('disabledForeground'));
  switch (c.health) {
    case 'healthy':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'unhealthy':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'starting':
      return new vscode.ThemeIcon('loading~spin');
    default:
      return new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconPassed'));
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}
