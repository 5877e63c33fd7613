// The "Copies" tree: master copy → its endpoint, its versions → copies. Items carry their
// state in contextValue, and the menus in package.json match on it.
import * as vscode from 'vscode';
import { Disposable } from '../../core/util/lifecycle';
import { hostname } from 'node:os';
import { compareVersions, type CopyRecord } from '../../core/copies/ps';
import {
  clockTime,
  endpointText,
  healingText,
  healingTrouble,
  type DeployOverview,
  type EndpointStatus,
} from '../../core/deploy/overview';
import { autoscaleText, type AutoscaleStatus } from '../../core/keeper/autoscaler';
import type { HealingStatus } from '../../core/keeper/healer';
import { driftLines, type CopyDrift } from '../../core/drift/drift';
import type { ServiceCopies, TaskCopy } from '../../core/swarm/tasks';
import { PHASE_LABELS, type RunningDeploy, type RunningDeploys } from '../deploy/runningDeploys';
import type { WorkspaceMasterCopies, WorkspaceMasterCopy } from '../masterCopies';
import type { CopiesModel } from './copiesModel';

/** A deploy running now: in this window (with its phase), or by another client (its lock). */
export type DeployInProgress =
  | { where: 'here'; deploy: RunningDeploy }
  | { where: 'elsewhere'; by: string; version: string; action: string };

export type CopiesNode =
  | { kind: 'engineDown'; message: string; host: string }
  | {
      kind: 'masterCopy';
      name: string;
      file?: WorkspaceMasterCopy;
      copies: CopyRecord[];
      deploy?: DeployOverview;
      deploying?: DeployInProgress;
    }
  | { kind: 'endpoint'; name: string; endpoint: EndpointStatus; file?: WorkspaceMasterCopy }
  | {
      kind: 'version';
      name: string;
      version: string;
      file?: WorkspaceMasterCopy;
      copies: CopyRecord[];
      active: boolean;
      deploying?: DeployInProgress;
      kept?: KeptCount;
      /** Its copies that drifted (from the model's last drift check). */
      drifted: number;
    }
  | { kind: 'copy'; copy: CopyRecord; file?: WorkspaceMasterCopy; drift?: CopyDrift }
  /** The Swarm target: a master copy's service, and its tasks as copies. */
  | { kind: 'service'; name: string; service: ServiceCopies; file?: WorkspaceMasterCopy }
  | { kind: 'task'; name: string; task: TaskCopy; file?: WorkspaceMasterCopy }
  /** A line on the active version: the keeper's last scaling decision, a replacement, why it backs off. */
  | {
      kind: 'event';
      name: string;
      version: string;
      label: string;
      at?: string;
      icon: 'scale' | 'would-scale' | 'replaced' | 'trouble';
      tooltip: string;
    };

/** What the keeper keeps of the active version. */
export interface KeptCount {
  healing: HealingStatus;
  autoscale?: AutoscaleStatus;
}

export class CopiesTreeProvider extends Disposable implements vscode.TreeDataProvider<CopiesNode> {
  private readonly changed = this._register(new vscode.EventEmitter<CopiesNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly model: CopiesModel,
    private readonly files: WorkspaceMasterCopies,
    private readonly deploys: RunningDeploys,
  ) {
    super();
    this._register(model.onDidChange(() => this.changed.fire(undefined)));
    this._register(files.onDidChange(() => this.changed.fire(undefined)));
    // A phase of a promote in this window: no need to ask the engine to show it.
    this._register(deploys.onDidChange(() => this.changed.fire(undefined)));
  }

  async getChildren(node?: CopiesNode): Promise<CopiesNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'masterCopy') {
      const active = node.deploy?.active?.version;
      const versions = [...new Set(node.copies.map((c) => c.version))].sort((a, b) =>
        compareVersions(b, a),
      );
      const children: CopiesNode[] = node.deploy?.endpoint
        ? [{ kind: 'endpoint', name: node.name, endpoint: node.deploy.endpoint, file: node.file }]
        : [];
      for (const version of versions) {
        const child: CopiesNode = {
          kind: 'version',
          name: node.name,
          version,
          file: node.file,
          copies: node.copies.filter((c) => c.version === version),
          active: version === active,
          drifted: this.model.driftedCopiesOf(node.name, version).length,
        };
        const healing = node.deploy?.endpoint?.healing;
        if (version === active && healing?.version === version)
          child.kept = { healing, autoscale: node.deploy?.endpoint?.autoscale };
        if (node.deploying && deployingVersion(node.deploying) === version)
          child.deploying = node.deploying;
        children.push(child);
      }
      const service = this.model.serviceOf(node.name);
      if (service) children.push({ kind: 'service', name: node.name, service, file: node.file });
      return children;
    }
    if (node.kind === 'service')
      return node.service.copies.map((task): CopiesNode => ({
        kind: 'task',
        name: node.name,
        task,
        file: node.file,
      }));
    if (node.kind === 'version')
      return [
        ...(node.kept ? keptEvents(node.name, node.version, node.kept) : []),
        ...node.copies.map((copy): CopiesNode => ({
          kind: 'copy',
          copy,
          file: node.file,
          drift: this.model.driftOf(copy.id),
        })),
      ];
    return [];
  }

  private async roots(): Promise<CopiesNode[]> {
    const files = await this.files.all();
    const state = this.model.state;
    const copies = state.kind === 'ok' ? state.copies : [];
    const out: CopiesNode[] = [];
    if (state.kind === 'down')
      out.push({ kind: 'engineDown', message: state.message, host: state.host });
    const deploys = state.kind === 'ok' ? state.deploys : new Map<string, DeployOverview>();
    const names = new Map<string, WorkspaceMasterCopy | undefined>();
    for (const f of files) if (f.name && !names.has(f.name)) names.set(f.name, f);
    for (const c of copies) if (!names.has(c.name)) names.set(c.name, undefined);
    if (state.kind === 'ok')
      for (const name of state.services.keys()) if (!names.has(name)) names.set(name, undefined);
    // An endpoint serves (or a deploy runs) with no copy and no file here: still worth seeing.
    for (const d of deploys.values())
      if ((d.endpoint || d.lock) && !names.has(d.name)) names.set(d.name, undefined);
    for (const d of this.deploys.all()) if (!names.has(d.name)) names.set(d.name, undefined);
    for (const [name, file] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
      const node: CopiesNode = {
        kind: 'masterCopy',
        name,
        file,
        copies: copies.filter((c) => c.name === name),
      };
      const deploy = deploys.get(name);
      if (deploy) node.deploy = deploy;
      const deploying = this.inProgress(name, deploy);
      if (deploying) node.deploying = deploying;
      out.push(node);
    }
    return out;
  }

  private inProgress(
    name: string,
    deploy: DeployOverview | undefined,
  ): DeployInProgress | undefined {
    const mine = this.deploys.get(name);
    if (mine) return { where: 'here', deploy: mine };
    const lock = deploy?.lock;
    // Our own lock, read just before our promote released it: that promote is over.
    if (!lock || (lock.pid === process.pid && lock.host === hostname())) return undefined;
    return {
      where: 'elsewhere',
      by: `${lock.user}@${lock.host}`,
      version: lock.version,
      action: lock.action,
    };
  }

  getTreeItem(node: CopiesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'engineDown': {
        const item = new vscode.TreeItem(
          'Docker engine not reachable',
          vscode.TreeItemCollapsibleState.None,
        );
        item.description = node.host;
        item.tooltip = new vscode.MarkdownString(
          `${escapeMd(node.message)}\n\nClick to try again.`,
        );
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'engineDown';
        item.command = { command: 'mastercopy.retryConnection', title: 'Retry' };
        return item;
      }
      case 'masterCopy': {
        const running = node.copies.filter((c) => c.state === 'running').length;
        const hasChildren =
          node.copies.length > 0 ||
          node.deploy?.endpoint !== undefined ||
          this.model.serviceOf(node.name) !== undefined;
        const active = node.deploy?.active?.version;
        const item = new vscode.TreeItem(
          node.name,
          hasChildren
            ? vscode.TreeItemCollapsibleState.Expanded
            : vscode.TreeItemCollapsibleState.None,
        );
        // VS Code keeps an item's old collapsed state by id: a master copy that gets its
        // first copies (or its endpoint) must count as a new item, or it stays a leaf.
        item.id = `mc:${node.name}:${hasChildren ? 'copies' : 'none'}`;
        item.description = [
          node.deploying ? deployingText(node.deploying) : undefined,
          running ? `${running} running` : node.copies.length ? 'none running' : 'no copies',
          active && !node.deploying ? `${active} active` : undefined,
          node.file ? vscode.workspace.asRelativePath(node.file.uri) : 'no file in this workspace',
        ]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = node.deploying
          ? new vscode.ThemeIcon('sync~spin')
          : new vscode.ThemeIcon('files');
        item.resourceUri = node.file?.uri;
        item.tooltip = new vscode.MarkdownString(
          [
            `**${escapeMd(node.name)}**${node.file?.version ? ` ${escapeMd(node.file.version)}` : ''}`,
            `${node.copies.length} cop${node.copies.length === 1 ? 'y' : 'ies'}, ${running} running`,
            active
              ? `${escapeMd(active)} is the active version (ledger #${node.deploy!.active!.record.seq}, ` +
                `${escapeMd(node.deploy!.active!.record.at)})`
              : undefined,
            node.deploying ? escapeMd(deployingText(node.deploying)) : undefined,
            node.file ? escapeMd(vscode.workspace.asRelativePath(node.file.uri)) : undefined,
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
        item.contextValue = [
          'masterCopy',
          node.file ? 'hasFile' : 'noFile',
          node.copies.length ? 'hasCopies' : 'noCopies',
          active ? 'hasLedger' : undefined,
          node.deploying ? 'deploying' : undefined,
        ]
          .filter(Boolean)
          .join(' ');
        if (node.file)
          item.command = {
            command: 'vscode.open',
            title: 'Open Master Copy',
            arguments: [node.file.uri],
          };
        return item;
      }
      case 'version': {
        const healthy = node.copies.filter((c) => c.health === 'healthy').length;
        const running = node.copies.filter((c) => c.state === 'running').length;
        const item = new vscode.TreeItem(node.version, vscode.TreeItemCollapsibleState.Expanded);
        const current = node.file?.version === node.version;
        const kept = node.kept;
        const desired = kept
          ? kept.autoscale?.policy.dryRun
            ? kept.healing.desired
            : (kept.autoscale?.desired ?? kept.healing.desired)
          : undefined;
        item.description = [
          `${node.copies.length} cop${node.copies.length === 1 ? 'y' : 'ies'} · ${running} running` +
            `${healthy ? ` · ${healthy} healthy` : ''}${current ? ' · current' : ''}`,
          desired !== undefined && desired !== null
            ? `${desired} desired${kept?.autoscale ? ` (autoscaled ${kept.autoscale.policy.min}–${kept.autoscale.policy.max})` : ''}`
            : undefined,
          kept && healingTrouble(kept.healing)
            ? kept.healing.state === 'backing-off'
              ? 'backing off'
              : 'cannot replace copies'
            : undefined,
          node.drifted ? `${node.drifted} drifted` : undefined,
          node.active ? 'active' : undefined,
          node.deploying ? deployingText(node.deploying, false) : undefined,
        ]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = node.deploying
          ? new vscode.ThemeIcon('loading~spin')
          : node.active
            ? new vscode.ThemeIcon('rocket', new vscode.ThemeColor('testing.iconPassed'))
            : new vscode.ThemeIcon('versions');
        if (kept && healingTrouble(kept.healing))
          item.iconPath = new vscode.ThemeIcon(
            'warning',
            new vscode.ThemeColor('problemsWarningIcon.foreground'),
          );
        // (A MarkdownString: a plain string tooltip would also become the row's accessible label.)
        if (node.active) {
          item.tooltip = new vscode.MarkdownString(
            [
              `${escapeMd(node.version)} is the active version: new connections go to its copies.`,
              kept ? `Its keeper: ${escapeMd(healingText(kept.healing))}` : undefined,
              kept?.autoscale
                ? `Autoscaled ${escapeMd(autoscaleText(kept.autoscale.policy))}; ` +
                  `the targets ask for ${kept.autoscale.recommended} now` +
                  `${kept.autoscale.waiting ? ` (${escapeMd(kept.autoscale.waiting)})` : ''}.`
                : undefined,
            ]
              .filter(Boolean)
              .join('\n\n'),
          );
        }
        item.contextValue = [
          'version',
          node.file && current ? 'current' : 'other',
          node.active ? 'active' : undefined,
          node.deploying ? 'promoting' : undefined,
          node.drifted ? 'drifted' : undefined,
        ]
          .filter(Boolean)
          .join(' ');
        return item;
      }
      case 'endpoint': {
        const e = node.endpoint;
        const item = new vscode.TreeItem(
          e.url.replace(/\/$/, ''),
          vscode.TreeItemCollapsibleState.None,
        );
        item.id = `ep:${node.name}`;
        const keeperDrift = this.model.keeperDriftOf(node.name);
        item.description = [keeperDrift ? 'keeper drifted' : undefined, endpointText(e)]
          .filter(Boolean)
          .join(' · ');
        item.iconPath =
          e.state === 'serving'
            ? new vscode.ThemeIcon('globe', new vscode.ThemeColor('testing.iconPassed'))
            : new vscode.ThemeIcon(
                'debug-disconnect',
                new vscode.ThemeColor('problemsWarningIcon.foreground'),
              );
        item.tooltip = new vscode.MarkdownString(
          [
            `**Endpoint of ${escapeMd(node.name)}**: ${escapeMd(e.url)} → port ${e.targetPort} of the active version's copies`,
            e.state === 'serving'
              ? `${e.active ? `${escapeMd(e.active)} serves` : 'no active version yet'} · ` +
                `${e.open} open · ${e.served} served · ${e.failed} failed`
              : escapeMd(endpointText(e)),
            ...e.copies.map(
              (c) =>
                `${escapeMd(c.version)} #${c.index} \`${c.id.slice(0, 12)}\` ${c.healthy ? 'healthy' : 'unhealthy'} · ` +
                `${c.version === e.active ? 'serving' : 'not served'} · ${c.open} open · ${c.served} served`,
            ),
            keeperDrift
              ? `⚠ **its keeper drifted** from what it was started as:\n\n` +
                driftLines(keeperDrift)
                  .map((l) => `- ${escapeMd(l.replace(/^[^:]*: /, ''))}`)
                  .join('\n') +
                '\n\nIt is not replaced by itself (that would cut the open connections): change it back, ' +
                'or dispose of the master copy with all its versions and promote again.'
              : undefined,
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
        item.contextValue = `endpoint ${e.state}`;
        return item;
      }
      case 'event': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `ev:${node.name}:${node.version}:${node.icon}`;
        if (node.at) item.description = clockTime(node.at);
        const icons = {
          scale: 'graph-line',
          'would-scale': 'beaker',
          replaced: 'debug-restart',
          trouble: 'warning',
        } as const;
        item.iconPath = new vscode.ThemeIcon(
          icons[node.icon],
          node.icon === 'trouble'
            ? new vscode.ThemeColor('problemsWarningIcon.foreground')
            : undefined,
        );
        item.tooltip = new vscode.MarkdownString(escapeMd(node.tooltip));
        item.contextValue = `keeperEvent ${node.icon}`;
        return item;
      }
      case 'service': {
        const sv = node.service.service;
        const running = node.service.copies.filter((t) => t.state === 'running').length;
        const item = new vscode.TreeItem(
          `swarm service ${sv.name}`,
          node.service.copies.length
            ? vscode.TreeItemCollapsibleState.Expanded
            : vscode.TreeItemCollapsibleState.None,
        );
        item.id = `svc:${sv.id}`;
        item.description = [
          sv.version,
          `${running} of ${sv.replicas} running`,
          sv.updateState && sv.updateState !== 'completed'
            ? sv.updateState.replace(/_/g, ' ')
            : undefined,
        ]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = new vscode.ThemeIcon(
          'server-environment',
          running < sv.replicas
            ? new vscode.ThemeColor('problemsWarningIcon.foreground')
            : undefined,
        );
        item.tooltip = new vscode.MarkdownString(
          `**${escapeMd(sv.name)}**: the Swarm service of ${escapeMd(node.name)} ${escapeMd(sv.version)}, ` +
            `${sv.replicas} replica${sv.replicas === 1 ? '' : 's'}, ${running} running` +
            (sv.updateState ? `; last update: ${escapeMd(sv.updateState)}` : ''),
        );
        item.contextValue = 'service';
        return item;
      }
      case 'task': {
        const t = node.task;
        const item = new vscode.TreeItem(`#${t.index}`, vscode.TreeItemCollapsibleState.None);
        item.id = `task:${t.id}`;
        const ports = t.ports
          .filter((p) => p.host !== null)
          .map((p) => `${p.host}→${p.container}${p.protocol === 'udp' ? '/udp' : ''} (${p.mode})`);
        item.description = [t.state, t.version, `node ${t.node}`, ...ports].join(' · ');
        item.iconPath =
          t.state === 'running'
            ? new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'))
            : t.state === 'failed' || t.state === 'rejected'
              ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
              : new vscode.ThemeIcon('loading~spin');
        item.tooltip = new vscode.MarkdownString(
          [
            `**${escapeMd(node.name)}** ${escapeMd(t.version)} task #${t.index} \`${t.shortId}\``,
            `${escapeMd(t.state)} (wanted: ${escapeMd(t.desiredState)}) on node ${escapeMd(t.node)}`,
            t.message ? escapeMd(t.message) : undefined,
            t.error ? `⚠ ${escapeMd(t.error)}` : undefined,
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
        item.contextValue = `task ${t.state}`;
        return item;
      }
      case 'copy': {
        const c = node.copy;
        const item = new vscode.TreeItem(`#${c.index}`, vscode.TreeItemCollapsibleState.None);
        item.id = `c:${c.id}`;
        const ports = c.ports
          .filter((p) => p.host !== null)
          .map(
            (p) =>
              `${p.hostIp ?? '127.0.0.1'}:${p.host}→${p.container}${p.protocol === 'udp' ? '/udp' : ''}`,
          );
        const drift = node.drift;
        const drifted = drift?.state === 'drifted';
        item.description = [
          drifted ? 'drifted' : undefined,
          c.state,
          c.health !== 'none' ? c.health : undefined,
          ...ports,
        ]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = drifted
          ? new vscode.ThemeIcon(
              'diff-modified',
              new vscode.ThemeColor('problemsWarningIcon.foreground'),
            )
          : copyIcon(c);
        item.tooltip = new vscode.MarkdownString(
          [
            `**${escapeMd(c.name)}** ${escapeMd(c.version)} copy #${c.index}`,
            `id \`${c.shortId}\` · ${c.state}${c.health !== 'none' ? ` · ${c.health}` : ''}`,
            ports.length ? `ports: ${ports.join(', ')}` : 'no published ports',
            c.digestMatches
              ? 'image digest matches'
              : '⚠ the image for this version was rebuilt since this copy was printed',
            driftTooltip(drift),
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
        const http =
          c.state === 'running' && c.ports.some((p) => p.protocol === 'tcp' && p.host !== null);
        item.contextValue = ['copy', c.state, http ? 'http' : 'nohttp', drifted ? 'drifted' : '']
          .join(' ')
          .trim();
        return item;
      }
    }
  }
}

/** What the last drift check said of a copy, for its tooltip. */
function driftTooltip(drift: CopyDrift | undefined): string | undefined {
  if (!drift) return undefined;
  if (drift.state === 'clean') return 'matches its version (no drift)';
  if (drift.state === 'cannot-check')
    return `⚠ drift cannot be checked: ${escapeMd(drift.reason ?? 'unknown')}`;
  const lines = driftLines(drift).map((l) => `- ${escapeMd(l.replace(/^[^:]*: /, ''))}`);
  return `⚠ **drifted** from its version:\n\n${lines.join('\n')}`;
}

/** The lines on the active version: why the keeper is stuck, its last replacement, its last scaling decision. */
function keptEvents(name: string, version: string, kept: KeptCount): CopiesNode[] {
  const out: CopiesNode[] = [];
  const h = kept.healing;
  if (healingTrouble(h))
    out.push({
      kind: 'event',
      name,
      version,
      label:
        h.state === 'backing-off'
          ? `backing off: ${h.reason ?? 'replacements keep failing'}`
          : `cannot replace copies: ${h.reason ?? ''}`,
      icon: 'trouble',
      tooltip: healingText(h),
    });
  // "printed copy 3 of 1.0.0 (replaces copy 2: exited 137)" → "replaced copy 2: exited 137"
  const replaced = [...h.events].reverse().find((e) => /\(replaces copy \d+: .*\)$/.test(e.text));
  const m = replaced && /\(replaces (copy \d+: .*)\)$/.exec(replaced.text);
  if (replaced && m)
    out.push({
      kind: 'event',
      name,
      version,
      label: `replaced ${m[1]}`,
      at: replaced.at,
      icon: 'replaced',
      tooltip: h.events
        .slice(-5)
        .map((e) => `${clockTime(e.at)} ${e.text}`)
        .join('\n\n'),
    });
  const decision = kept.autoscale?.decisions.filter((d) => d.version === version).at(-1);
  if (kept.autoscale && decision) {
    out.push({
      kind: 'event',
      name,
      version,
      label: `${decision.applied ? '' : 'would scale '}${decision.reason}`,
      at: decision.at,
      icon: decision.applied ? 'scale' : 'would-scale',
      tooltip: `Autoscaled ${autoscaleText(kept.autoscale.policy)}.${decision.applied ? '' : ' A dry run: nothing was changed.'}`,
    });
  }
  return out;
}

function deployingVersion(d: DeployInProgress): string {
  return d.where === 'here' ? d.deploy.version : d.version;
}

/** "promoting → 1.1.0: health gate", "being promoted to 1.1.0 by bob@laptop". */
function deployingText(d: DeployInProgress, withVersion = true): string {
  if (d.where === 'here') {
    const { deploy } = d;
    const verb = deploy.action === 'rollback' ? 'rolling back' : 'promoting';
    return `${verb}${withVersion ? ` → ${deploy.version}` : ''}: ${deploy.phase ? PHASE_LABELS[deploy.phase] : 'starting'}`;
  }
  return `being ${d.action === 'rollback' ? 'rolled back' : 'promoted'}${withVersion ? ` to ${d.version}` : ''} by ${d.by}`;
}

function copyIcon(c: CopyRecord): vscode.ThemeIcon {
  if (c.state !== 'running')
    return new vscode.ThemeIcon(
      c.state === 'restarting' ? 'debug-restart' : 'circle-outline',
      new vscode.ThemeColor('disabledForeground'),
    );
  switch (c.health) {
    case 'healthy':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'unhealthy':
      return new vscode.ThemeIcon(
        'warning',
        new vscode.ThemeColor('problemsWarningIcon.foreground'),
      );
    case 'starting':
      return new vscode.ThemeIcon('loading~spin');
    default:
      return new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconPassed'));
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}
