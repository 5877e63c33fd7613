// The preview as HTML for a VS Code webview. Two entry points:
//   renderPreviewHtml(model, options)   the whole document, once, when the panel opens
//   renderPreviewBody(model, options)   what goes inside <main id="preview-root">: the panel
//       posts it as {type: 'update', body} and media/preview/preview.js swaps it in,
//       keeping the scroll position and the focused button, so an edit never reloads the page.
// Safety:
//  - every value is escaped by the `html` template tag (one escape function, escapeHtml);
//    only SafeHtml made by that tag passes unescaped, so nothing from the master copy can
//    become markup;
//  - a strict Content-Security-Policy: nothing but our nonce'd script and our stylesheet
//    (from `cspSource`), no inline handlers, no style attributes, no remote resources;
//  - buttons only in a trusted workspace: untrusted gets a read-only preview.
// The look is VS Code's own: theme colour variables only (media/preview/preview.css) and
// codicons when `codiconsUri` is given.
// Stable hooks for the panel and later features: data-section="summary|plan|promote|copies|
// history|problems|dockerfile|context", buttons as data-command (a History row's Roll back
// with its record's data-seq), clickable ranges as data-reveal-start/-end, and per copy a
// data-slot="drift" badge.
//
// How a panel uses this (src/vscode/preview):
//   open:    enableScripts, localResourceRoots = media/preview (+ the codicons' folder);
//            webview.html = renderPreviewHtml(model, {nonce: fresh random, cspSource, trusted, …})
//   change:  (debounced, the previous run aborted) state = await loadPreviewState(text, path, deps);
//            model = previewModel(text, path, state, lastModel); lastModel = model;
//            postMessage({type: 'update', body: renderPreviewBody(model, {trusted})})
//   message: m = parseWebviewMessage(raw, {textLength}); undefined → ignore; `command` only when
//            the workspace is trusted (the page has no buttons otherwise, but a page can post
//            anything); `reveal` → document.positionAt(start/end)
import { shortTime, type HistoryEntry } from '../deploy/overview';
import type {
  DockerfileLine,
  PreviewAction,
  PreviewCopy,
  PreviewModel,
  PreviewProblem,
  PromoteView,
  SummaryCard,
} from './model';
import type { PreviewPlan } from './plan';

export interface RenderOptions {
  /** A fresh random nonce per document (base64 or hex, at least 16 characters). */
  nonce: string;
  /** The webview's `cspSource`. */
  cspSource: string;
  /** Whether the workspace is trusted: only then are there action buttons. */
  trusted: boolean;
  /** webview.asWebviewUri of media/preview/preview.js. */
  scriptUri: string;
  /** webview.asWebviewUri of media/preview/preview.css. */
  styleUri: string;
  /** webview.asWebviewUri of @vscode/codicons' codicon.css; without it icons are left out. */
  codiconsUri?: string;
  /** The master copy's URI: the page keeps it in its state, so that a reload can restore the panel. */
  source?: string;
}

export interface BodyOptions {
  trusted: boolean;
}

/** The one escape function: text → HTML text or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** HTML that is safe as it is: only the `html` tag makes it. */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

/** A template whose every interpolation is escaped, except SafeHtml (lists are joined). */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += partHtml(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

function partHtml(p: Part): string {
  if (p instanceof SafeHtml) return p.html;
  if (Array.isArray(p)) return p.map(partHtml).join('');
  if (p === null || p === undefined || p === false) return '';
  return escapeHtml(String(p));
}

const NONCE = /^[A-Za-z0-9+/=_-]{16,}$/;

/**
 * A webview's `cspSource`: space-separated host or scheme sources, and `'self'` — VS Code
 * gives `'self' https://*.vscode-cdn.net`. No other quoted keyword, no `;` or `,`.
 */
function isCspSourceList(source: string): boolean {
  const parts = source.split(' ');
  return source.length > 0 && parts.every((p) => p === "'self'" || /^[^\s;,'"]+$/.test(p));
}

/** The whole webview document. */
export function renderPreviewHtml(model: PreviewModel, options: RenderOptions): string {
  // Checked, not escaped: they go into the policy itself, where quotes or `;` would change it.
  if (!NONCE.test(options.nonce))
    throw new Error('renderPreviewHtml: the nonce must be at least 16 base64 characters.');
  if (!isCspSourceList(options.cspSource))
    throw new Error('renderPreviewHtml: cspSource is not a list of source expressions.');
  const { nonce, cspSource } = options;
  const csp =
    `default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; ` +
    `img-src ${cspSource} data:; font-src ${cspSource};`;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${new SafeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${options.codiconsUri ? html`<link rel="stylesheet" nonce="${nonce}" href="${options.codiconsUri}">` : ''}
<link rel="stylesheet" nonce="${nonce}" href="${options.styleUri}">
<title>${title(model)}</title>
</head>
<body class="${options.codiconsUri ? 'with-codicons' : 'without-codicons'}" data-trusted="${
    options.trusted ? 'true' : 'false'
  }" data-source="${options.source ?? ''}">
<main id="preview-root" aria-live="polite">${renderBody(model, { trusted: options.trusted })}</main>
<script nonce="${nonce}" src="${options.scriptUri}"></script>
</body>
</html>
`.html;
}

/** The inside of <main id="preview-root">, for an update without a reload. */
export function renderPreviewBody(model: PreviewModel, options: BodyOptions): string {
  return renderBody(model, options).html;
}

function title(model: PreviewModel): string {
  return model.summary
    ? `Preview ${model.summary.name} ${model.summary.version}`
    : `Preview ${model.file.name}`;
}

function renderBody(model: PreviewModel, options: BodyOptions): SafeHtml {
  // Problems lead when there are some; otherwise their (empty) section closes the page.
  const problems = problemsSection(model);
  const hasProblems = model.problems.length > 0;
  return html`${header(model, options)}
${banners(model, options)}
${hasProblems ? problems : ''}
<div class="${model.stale ? 'sections stale' : 'sections'}">
${model.summary ? summarySection(model.summary) : ''}
${planSection(model, options)}
${copiesSection(model)}
${historySection(model, options)}
${dockerfileSection(model)}
${contextSection(model)}
</div>
${hasProblems ? '' : problems}`;
}

function icon(name: string): SafeHtml {
  return html`<span class="codicon codicon-${name}" aria-hidden="true"></span>`;
}

function badge(kind: 'ok' | 'warn' | 'error' | 'info' | 'neutral', text: string): SafeHtml {
  return html`<span class="badge badge-${kind}">${text}</span>`;
}

function header(model: PreviewModel, options: BodyOptions): SafeHtml {
  const s = model.summary;
  const state = model.valid
    ? badge('ok', 'valid')
    : model.stale
      ? badge('warn', 'last valid state')
      : badge('error', 'invalid');
  return html`<header class="preview-header">
  <div class="title">
    ${icon('server-process')}
    <h1>${s ? s.name : model.file.name}${s ? html` <span class="version">${s.version}</span>` : ''}</h1>
    ${state}
    <span class="file" title="${model.file.path}">${model.file.name}</span>
  </div>
  ${options.trusted ? actions(model) : ''}
</header>`;
}

function actions(model: PreviewModel): SafeHtml {
  const button = (
    command: string,
    label: string,
    iconName: string,
    a: PreviewAction,
    primary = false,
  ) =>
    html`<button type="button" class="${primary ? 'primary' : 'secondary'}" data-command="${command}" title="${a.title}"${
      a.enabled ? '' : html` disabled`
    }>${icon(iconName)}<span>${label}</span></button>`;
  const a = model.actions;
  return html`<div class="actions" role="toolbar" aria-label="Actions">
    ${button('build', 'Build', 'tools', a.build, true)}
    ${button('print', model.plan ? `Print ×${model.plan.print.copies}` : 'Print', 'copy', a.print)}
    ${button('tailLogs', 'Tail Logs', 'output', a.tailLogs)}
  </div>`;
}

function banners(model: PreviewModel, options: BodyOptions): SafeHtml {
  const out: SafeHtml[] = [];
  if (!options.trusted)
    out.push(
      html`<div class="banner banner-info" role="note">${icon(
        'shield',
      )}<span>Restricted Mode: this preview is read-only. Trust the workspace to build and print from here.</span></div>`,
    );
  if (model.stale) {
    const errors = model.problems.filter((p) => p.severity === 'error').length;
    out.push(
      html`<div class="banner banner-warn" role="status">${icon('history')}<span>The master copy has ${errors} ${
        errors === 1 ? 'error' : 'errors'
      }: below is its last valid state.</span></div>`,
    );
  }
  if (!model.engine.reachable && model.plan) {
    out.push(
      html`<div class="banner banner-error" role="status">${icon('debug-disconnect')}<span>${
        model.engine.error ?? 'The Docker engine is not reachable.'
      } The plan and the copies are unknown until it answers.</span></div>`,
    );
  }
  return html`${out}`;
}

function section(
  id: string,
  heading: string,
  iconName: string,
  body: SafeHtml | string,
  extra: SafeHtml | string = '',
): SafeHtml {
  return html`<section class="card" data-section="${id}" aria-labelledby="h-${id}">
  <h2 id="h-${id}">${icon(iconName)}<span>${heading}</span>${extra}</h2>
  ${body}
</section>`;
}

function problemsSection(model: PreviewModel): SafeHtml {
  const count = model.problems.length;
  if (!count)
    return section('problems', 'Problems', 'pass', html`<p class="muted">No problems.</p>`);
  return section(
    'problems',
    'Problems',
    'warning',
    html`<ul class="problems">${model.problems.map(problem)}</ul>`,
    html` <span class="count">${count}</span>`,
  );
}

function problem(p: PreviewProblem): SafeHtml {
  const iconName = p.severity === 'error' ? 'error' : p.severity === 'warning' ? 'warning' : 'info';
  return html`<li class="problem problem-${p.severity}">
  <a href="#" class="reveal" data-reveal-start="${p.start}" data-reveal-end="${p.end}" title="Go to line ${
    p.line + 1
  }, column ${p.character + 1}">${icon(iconName)}<span class="message">${p.message}</span><span class="where">Ln ${
    p.line + 1
  }, Col ${p.character + 1}</span></a>
</li>`;
}

function summarySection(s: SummaryCard): SafeHtml {
  const rows: [string, SafeHtml | string][] = [];
  const list = (items: string[], empty = '—') =>
    items.length
      ? html`${items.map((i) => html`<code>${i}</code> `)}`
      : html`<span class="muted">${empty}</span>`;
  rows.push([
    'Base',
    s.base.kind === 'image'
      ? html`<code>${s.base.ref}</code>`
      : html`Dockerfile <code>${s.base.path}</code>`,
  ]);
  rows.push(['Ports', list(s.ports, 'none')]);
  rows.push([
    'Health',
    s.health.kind === 'none'
      ? html`<span class="muted">${s.health.text}</span>`
      : html`<code>${s.health.text}</code>${s.health.timing ? html` <span class="muted">${s.health.timing}</span>` : ''}`,
  ]);
  rows.push(['Copies', String(s.copies)]);
  if (s.command) rows.push(['Runs', html`<code>${s.command}</code>`]);
  if (s.user) rows.push(['User', html`<code>${s.user}</code>`]);
  if (s.workdir) rows.push(['Workdir', html`<code>${s.workdir}</code>`]);
  const h = s.hardening;
  const flags: SafeHtml[] = [
    h.readOnly ? badge('ok', 'read-only root') : badge('warn', 'writable root'),
    h.noNewPrivileges ? badge('ok', 'no new privileges') : badge('warn', 'new privileges allowed'),
    h.capDrop.includes('ALL')
      ? badge('ok', 'all capabilities dropped')
      : badge('warn', h.capDrop.length ? `drops ${h.capDrop.join(', ')}` : 'no capability dropped'),
  ];
  if (h.capAdd.length) flags.push(badge('warn', `adds ${h.capAdd.join(', ')}`));
  const limits = [
    h.memory && `memory ${h.memory}`,
    h.cpus !== undefined && `${h.cpus} CPU`,
    `restart ${h.restart}`,
  ].filter((x): x is string => typeof x === 'string');
  rows.push([
    'Hardening',
    html`<div class="badges">${flags}</div>${
      h.readOnly && h.tmpfs.length
        ? html`<div class="muted">writable tmpfs: ${list(h.tmpfs)}</div>`
        : ''
    }<div class="muted">${limits.join(' · ')}</div>`,
  ]);
  rows.push([
    'Volumes',
    s.volumes.length
      ? html`${s.volumes.map(
          (v) =>
            html`<div><code>${v.name}</code> → <code>${v.path}</code>${
              v.readOnly ? html` <span class="muted">read-only</span>` : ''
            }</div>`,
        )}`
      : html`<span class="muted">none</span>`,
  ]);
  rows.push([
    'Secrets',
    s.secrets.length
      ? html`${s.secrets.map(
          (x) =>
            html`<span class="secret">${icon('key')}<code>${x.name}</code> <span class="muted">from ${
              x.from === 'env' ? 'environment' : 'file'
            }</span></span> `,
        )}`
      : html`<span class="muted">none</span>`,
  ]);
  if (s.gateway)
    rows.push([
      'Gateway',
      html`<code>localhost:${s.gateway.port}</code> → <code>${s.gateway.target}</code>`,
    ]);
  if (s.autoscale) rows.push(['Autoscale', s.autoscale]);
  if (s.owners.length) rows.push(['Owners', s.owners.join(', ')]);
  return section(
    'summary',
    'Summary',
    'info',
    html`${s.description ? html`<p class="description">${s.description}</p>` : ''}<dl class="summary">${rows.map(
      ([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`,
    )}</dl>`,
  );
}

function shortDigest(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}

function planSection(model: PreviewModel, options: BodyOptions): SafeHtml {
  const p = model.plan;
  if (!p)
    return section(
      'plan',
      'Plan',
      'checklist',
      html`<p class="muted">No plan: the master copy has errors.</p>${promoteSlot(model, options)}`,
    );
  return section(
    'plan',
    'Plan',
    'checklist',
    html`<dl class="plan">
  <dt>${icon('tools')}Build</dt><dd>${buildPlanText(p)}</dd>
  <dt>${icon('copy')}Print ×${p.print.copies}</dt><dd>${printPlanText(p)}</dd>
  <dt>${icon('rocket')}Promote</dt><dd>${model.promote ? promoteViewText(model.promote) : promotePlanText(p)}</dd>
</dl>${promoteSlot(model, options)}`,
    p.engine.reachable
      ? html` <span class="muted host">${p.engine.host ?? ''}</span>`
      : html` ${badge('error', 'engine down')}`,
  );
}

/** The Promote button's place: empty and hidden without a promote to offer (or untrusted). */
function promoteSlot(model: PreviewModel, options: BodyOptions): SafeHtml {
  const a = model.actions.promote;
  if (!a || !options.trusted)
    return html`<div class="promote-slot" data-section="promote" hidden></div>`;
  const v = model.promote;
  const label =
    v?.from && v.from !== v.to ? `Promote ${v.from} → ${v.to}` : `Promote ${v?.to ?? ''}`.trim();
  const promoteButton = html`<button type="button" class="primary" data-command="promote" title="${a.title}"${
    a.enabled ? '' : html` disabled`
  }>${icon('rocket')}<span>${label}</span></button>`;
  return html`<div class="promote-slot" data-section="promote">${promoteButton}</div>`;
}

/** What a promote would do now, from the ledger (who serves) and the copies. */
function promoteViewText(v: PromoteView): SafeHtml {
  const to = html`<code>${v.to}</code>`;
  const copies = `${v.copies} ${v.copies === 1 ? 'copy' : 'copies'}`;
  // Shown without its scheme: the page holds no URL at all (nothing in it may look loadable).
  const address = v.endpoint ? v.endpoint.url.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '') : '';
  const endpoint = v.endpoint
    ? html` The endpoint <code>${address}</code> moves to ${to}${
        v.endpoint.running
          ? ''
          : html` <span class="muted">(its keeper is not running now: the promote starts it)</span>`
      }.`
    : html` <span class="muted">No <code>gateway</code>: there is no endpoint to move; the copies are reached on their own ports.</span>`;
  const dispose = v.wouldDispose.length
    ? html` Then disposes of ${versionList(v.wouldDispose)}.`
    : '';
  const k = v.kept;
  const kept = k
    ? html`<div class="muted" data-kept>Its keeper keeps ${k.count} ${
        k.count === 1 ? 'copy' : 'copies'
      } of <code>${k.version}</code>${
        k.by === 'autoscale' && k.reason
          ? html` — autoscaled ${k.reason} (${shortTime(k.at)})`
          : html` (set by ${k.by}, ${shortTime(k.at)})`
      }.</div>`
    : '';
  return html`${promoteStateText(v, { to, copies, address, endpoint, dispose })}${kept}${promoteChanges(v)}`;
}

/** The preview lists this many changes at most: `mastercopy diff FILE` has them all. */
const MAX_CHANGES_SHOWN = 40;
const CHANGE_MARK = { added: '+', removed: '−', changed: '~' } as const;

/** What the promote would change against the active version, field by field, as `mastercopy diff` says it. */
function promoteChanges(v: PromoteView): SafeHtml | '' {
  const c = v.changes;
  if (!c) return '';
  const shown = c.items.slice(0, MAX_CHANGES_SHOWN);
  const more = c.items.length - shown.length;
  const rows = shown.map(
    (i) => html`<tr class="change-${i.kind}">
  <td class="mark" title="${i.kind}">${CHANGE_MARK[i.kind]}</td>
  <td><code>${i.field}</code></td>
  <td>${i.kind === 'added' ? '' : html`<code>${i.before ?? ''}</code>`}${
    i.kind === 'changed' ? ' → ' : ''
  }${i.kind === 'removed' ? '' : html`<code>${i.after ?? ''}</code>`}${
    i.note ? html` <span class="muted">(${i.note})</span>` : ''
  }</td>
</tr>`,
  );
  const list = c.items.length
    ? html`<table class="changes">
  <thead><tr><th><span class="visually-hidden">Change</span></th><th>Field</th><th>Active → this file</th></tr></thead>
  <tbody>${rows}</tbody>
</table>${more > 0 ? html`<p class="muted">… and ${more} more: <code>mastercopy diff</code> lists them all.</p>` : ''}`
    : html`<p class="muted">No change from the active version.</p>`;
  return html`<div class="promote-changes" data-changes>
  <div class="muted">${c.items.length} ${c.items.length === 1 ? 'change' : 'changes'} against <code>${
    v.from ?? ''
  }</code>, ${c.active}.</div>
  ${list}${c.notes.map((n) => html`<p class="muted" data-note>${n}</p>`)}
</div>`;
}

function promoteStateText(
  v: PromoteView,
  t: { to: SafeHtml; copies: string; address: string; endpoint: SafeHtml; dispose: SafeHtml | '' },
): SafeHtml {
  const { to, copies, address, endpoint, dispose } = t;
  switch (v.state) {
    case 'refused':
      return html`${badge('error', 'refused')} ${to} cannot be built, so it cannot be promoted.`;
    case 'locked':
      return html`${badge('warn', 'deploy running')} A ${v.lock?.action ?? 'promote'} to <code>${
        v.lock?.version ?? ''
      }</code> by ${v.lock?.by ?? ''} runs since ${shortTime(v.lock?.since ?? '')}: wait for it to finish.`;
    case 'already-active':
      return html`${badge('ok', 'serves')} ${to} is the active version${
        v.endpoint ? html` behind <code>${address}</code>` : ''
      }: nothing to promote.${
        v.wouldDispose.length
          ? html` Promoting again disposes of ${versionList(v.wouldDispose)}, left behind by an interrupted promote.`
          : ''
      }`;
    case 'first':
      return html`${badge('info', 'first promote')} Nothing was promoted on this engine yet: would print ${
        copies
      } of ${to}, wait until they are healthy and make it the active version.${endpoint}${dispose}`;
    case 'would-promote':
      if (v.from === v.to)
        return html`${badge('info', `→ ${v.to}`)} ${to} is the active version but has no copies: would print ${
          copies
        } of it again.${endpoint}${dispose}`;
      return html`${badge('info', `${v.from ?? ''} → ${v.to}`)} Would print ${copies} of ${to} beside <code>${
        v.from ?? ''
      }</code> (which serves now), switch new connections to them once healthy, let <code>${
        v.from ?? ''
      }</code>'s open ones finish, and dispose of it.${endpoint}${dispose}`;
  }
}

function historySection(model: PreviewModel, options: BodyOptions): SafeHtml {
  const h = model.history;
  if (!h)
    return section(
      'history',
      'History',
      'history',
      html`<p class="muted">${model.engine.reachable ? 'Not read.' : 'Unknown: the engine is not reachable.'}</p>`,
    );
  if (!h.length)
    return section(
      'history',
      'History',
      'history',
      html`<p class="muted">Never promoted on this engine: the ledger is empty.</p>`,
    );
  const locked = model.promote?.state === 'locked';
  const headings = html`<th class="num">#</th><th>When</th><th>Action</th><th>Version</th><th>Outcome</th><th>By</th>`;
  return section(
    'history',
    'History',
    'history',
    html`<table class="history">
  <thead><tr>${headings}<th>Commit</th><th>Image</th><th><span class="visually-hidden">Roll back</span></th></tr></thead>
  <tbody>${h.map((e) => historyRow(e, options.trusted, locked))}</tbody>
</table>`,
    html` <span class="count">${h.length}</span>`,
  );
}

function historyRow(e: HistoryEntry, trusted: boolean, locked: boolean): SafeHtml {
  const outcome =
    e.outcome === 'promoted' || e.outcome === 'rolled-back'
      ? badge('ok', e.outcome)
      : e.outcome === 'failed'
        ? html`<span class="badge badge-error" title="${e.reason ?? ''}">failed</span>`
        : html`<span class="badge badge-neutral" title="${e.reason ?? ''}">${e.outcome}</span>`;
  const rollback =
    trusted && e.canRollBack
      ? html`<button type="button" class="secondary" data-command="rollback" data-seq="${e.seq}" title="${
          locked
            ? 'A deploy runs now: wait for it to finish.'
            : `Serve ${e.version} again: its image ${e.image ?? ''} as it was built, blue/green.`
        }"${locked ? html` disabled` : ''}>${icon('history')}<span>Roll back</span></button>`
      : '';
  return html`<tr data-seq="${e.seq}" class="${e.active ? 'active' : e.wentThrough ? 'served' : 'not-served'}">
  <td class="num">${e.seq}</td>
  <td>${shortTime(e.at)}</td>
  <td>${e.action}</td>
  <td><code>${e.version}</code>${e.active ? html` ${badge('ok', 'active')}` : ''}${
    e.replaced ? html` <span class="muted">was ${e.replaced}</span>` : ''
  }</td>
  <td>${outcome}</td>
  <td>${e.by}</td>
  <td>${e.commit ? html`<code>${e.commit}</code>` : html`<span class="muted">—</span>`}</td>
  <td>${e.image ? html`<code>${e.image}</code>` : html`<span class="muted">—</span>`}</td>
  <td>${rollback}</td>
</tr>`;
}

function buildPlanText(p: PreviewPlan): SafeHtml {
  const b = p.build;
  const tag = html`<code>${b.tag}</code>`;
  const digest = html`<code title="${b.digest}">${shortDigest(b.digest)}</code>`;
  const bumpOrRename = html`Bump <code>version</code> or choose another <code>name</code>.`;
  let text: SafeHtml;
  switch (b.state) {
    case 'up-to-date':
      text = html`${badge('ok', 'up to date')} ${tag} exists with this digest (${digest}): building is a no-op.`;
      break;
    case 'would-build':
      text = html`${badge('info', 'would build')} ${tag} does not exist yet: Build makes it (digest ${digest}).`;
      break;
    case 'refused':
      text = b.foreignImage
        ? html`${badge('error', 'refused')} ${tag} exists and was not built by Master Copy: a build would be refused. ${bumpOrRename}`
        : html`${badge('error', 'refused')} ${tag} exists with another digest (<code title="${b.existingDigest ?? ''}">${shortDigest(
            b.existingDigest ?? '',
          )}</code>, this is ${digest}): a version never changes, so a build would be refused. Bump <code>version</code>.`;
      break;
    case 'engine-down':
      text = html`${badge('neutral', 'unknown')} The engine is not reachable. This master copy's digest is ${digest}.`;
      break;
  }
  if (b.baseImage && !b.baseImage.present && b.state === 'would-build') {
    text = html`${text}<div class="warn-text">${icon('warning')}The base image <code>${
      b.baseImage.ref
    }</code> is not on the engine, and a build never pulls: pull it first.</div>`;
  }
  return text;
}

function versionList(vs: { version: string; count: number }[]): SafeHtml {
  return html`${vs.map((v, i) => html`${i ? ', ' : ''}<code>${v.version}</code> ×${v.count}`)}`;
}

function printPlanText(p: PreviewPlan): SafeHtml {
  const pr = p.print;
  if (pr.blockedBy === 'engine-down')
    return html`${badge('neutral', 'unknown')} The engine is not reachable.`;
  const running = pr.running.length
    ? html`<div class="muted">On the engine now: ${pr.running.map(
        (v, i) =>
          html`${i ? ', ' : ''}<code>${v.version}</code> ×${v.count} (${v.running} running, ${v.healthy} healthy)`,
      )}</div>`
    : html`<div class="muted">No copies on the engine yet.</div>`;
  if (pr.blockedBy === 'refused')
    return html`${badge('error', 'refused')} Print builds first, and that build would be refused.${running}`;
  const range =
    pr.wouldAdd === 1
      ? `copy ${pr.firstIndex}`
      : `copies ${pr.firstIndex}–${pr.firstIndex + pr.wouldAdd - 1}`;
  return html`${badge('info', `+${pr.wouldAdd}`)} Would ${
    pr.wouldBuild ? 'build the image, then ' : ''
  }add ${pr.wouldAdd} ${pr.wouldAdd === 1 ? 'copy' : 'copies'} of <code>${p.promote.to}</code> (${range}).${running}`;
}

function promotePlanText(p: PreviewPlan): SafeHtml {
  const pm = p.promote;
  const gateway = pm.gateway
    ? html` The endpoint <code>localhost:${pm.gateway.port}</code> moves to <code>${pm.to}</code>.`
    : '';
  switch (pm.state) {
    case 'engine-down':
      return html`${badge('neutral', 'unknown')} The engine is not reachable.`;
    case 'refused':
      return html`${badge('error', 'refused')} <code>${pm.to}</code> cannot be built, so it cannot be promoted.`;
    case 'nothing-running':
      return html`${badge('info', 'first print')} Nothing runs yet: promote would print ${pm.wouldPrint} ${
        pm.wouldPrint === 1 ? 'copy' : 'copies'
      } of <code>${pm.to}</code>.${gateway}`;
    case 'up-to-date':
      return html`${badge('ok', 'up to date')} Only <code>${pm.to}</code> runs, with ${pm.target} ${
        pm.target === 1 ? 'copy' : 'copies'
      }: nothing to promote.`;
    case 'would-promote':
      return html`${badge('info', `→ ${pm.to}`)} Would print ${pm.wouldPrint} ${
        pm.wouldPrint === 1 ? 'copy' : 'copies'
      } of <code>${pm.to}</code>${
        pm.wouldDispose.length
          ? html`, then dispose of ${versionList(pm.wouldDispose)} once they are healthy`
          : ''
      }.${gateway}`;
  }
}

function copiesSection(model: PreviewModel): SafeHtml {
  if (!model.copies) {
    return section(
      'copies',
      'Copies',
      'layers',
      html`<p class="muted">${model.engine.reachable ? 'Not listed.' : 'Unknown: the engine is not reachable.'}</p>`,
    );
  }
  if (!model.copies.length)
    return section(
      'copies',
      'Copies',
      'layers',
      html`<p class="muted">No copies of this master copy on the engine.</p>`,
    );
  const headings = html`<th>Version</th><th>Copy</th><th>ID</th><th>State</th><th>Health</th><th>Ports</th>`;
  return section(
    'copies',
    'Copies',
    'layers',
    html`<table class="copies">
  <thead><tr>${headings}<th><span class="visually-hidden">Drift</span></th></tr></thead>
  <tbody>${model.copies.map(copyRow)}</tbody>
</table>${driftList(model.copies)}`,
    html` <span class="count">${model.copies.length}</span>`,
  );
}

/** What drifted, said in full under the table (the badges' tooltips say the same). */
function driftList(copies: readonly PreviewCopy[]): SafeHtml | string {
  const drifted = copies.filter((c) => c.drift?.drifted);
  if (!drifted.length) return '';
  const what = drifted.length === 1 ? 'copy no longer matches' : 'copies no longer match';
  const items = drifted.map((c) =>
    c.drift!.details.map((d) => html`<li>copy ${c.index} of ${c.version}: ${d}</li>`),
  );
  return html`<div class="drift" data-slot="drift-list">
  <p><span class="codicon codicon-warning"></span> ${drifted.length} ${what} their version
  (Replace Drifted Copies in the Copies view prints fresh ones):</p>
  <ul>${items}</ul>
</div>`;
}

function copyRow(c: PreviewCopy): SafeHtml {
  const state =
    c.state === 'running'
      ? badge('ok', c.state)
      : c.state === 'restarting' || c.state === 'paused' || c.state === 'created'
        ? badge('warn', c.state)
        : badge('error', c.state);
  const health =
    c.health === 'healthy'
      ? badge('ok', 'healthy')
      : c.health === 'unhealthy'
        ? badge('error', 'unhealthy')
        : c.health === 'starting'
          ? badge('warn', 'starting')
          : html`<span class="muted">—</span>`;
  const drift = c.drift
    ? c.drift.drifted
      ? html`<span class="badge badge-warn" title="${c.drift.details.join('\n')}">drift</span>`
      : badge('ok', 'no drift')
    : '';
  const imageChanged = html` <span class="badge badge-warn" title="The image ${
    c.version
  } no longer carries this copy's digest">image changed</span>`;
  return html`<tr data-copy-id="${c.id}" class="${c.current ? 'current' : 'other'}">
  <td><code>${c.version}</code>${c.current ? '' : html` <span class="muted">older</span>`}</td>
  <td>${c.index}</td>
  <td><code title="${c.id}">${c.shortId}</code>${c.digestMatches ? '' : imageChanged}</td>
  <td>${state}</td>
  <td>${health}</td>
  <td>${c.ports.length ? c.ports.map((p) => html`<code>${p}</code> `) : html`<span class="muted">—</span>`}</td>
  <td data-slot="drift">${drift}</td>
</tr>`;
}

function dockerfileSection(model: PreviewModel): SafeHtml {
  const d = model.dockerfile;
  if (!d)
    return section(
      'dockerfile',
      'Dockerfile',
      'file-code',
      html`<p class="muted">No Dockerfile yet: the master copy has errors.</p>`,
    );
  const label = d.source === 'generated' ? 'generated' : `yours: ${d.path}`;
  return section(
    'dockerfile',
    'Dockerfile',
    'file-code',
    html`<pre class="dockerfile"><code>${d.lines.map(dockerfileLine)}</code></pre>`,
    html` <span class="muted">${label}</span>`,
  );
}

function dockerfileLine(l: DockerfileLine): SafeHtml {
  const tokens = l.tokens.map((t) =>
    t.kind === 'text' ? html`${t.text}` : html`<span class="tok-${t.kind}">${t.text}</span>`,
  );
  if (l.range) {
    return html`<span class="line reveal" role="link" tabindex="0" data-reveal-start="${l.range.start}" data-reveal-end="${
      l.range.end
    }" title="From ${l.origin ?? ''} (line ${l.range.line + 1}): click to show">${tokens}</span>\n`;
  }
  return html`<span class="line"${l.origin ? html` title="From ${l.origin}"` : ''}>${tokens}</span>\n`;
}

function contextSection(model: PreviewModel): SafeHtml {
  const c = model.context;
  if (!c)
    return section(
      'context',
      'Build context',
      'package',
      html`<p class="muted">No build context yet.</p>`,
    );
  return section(
    'context',
    'Build context',
    'package',
    html`<table class="context">
  <thead><tr><th>Path</th><th class="num">Size</th><th>Mode</th><th>From</th></tr></thead>
  <tbody>${c.entries.map(
    (e) =>
      html`<tr class="entry-${e.type}"><td>${icon(
        e.type === 'directory' ? 'folder' : e.type === 'symlink' ? 'file-symlink-file' : 'file',
      )}<code>${e.path}${e.type === 'directory' ? '/' : ''}</code>${
        e.linkTarget !== undefined ? html` → <code>${e.linkTarget}</code>` : ''
      }</td><td class="num">${
        e.type === 'file' ? formatSize(e.size) : ''
      }</td><td><code>${e.mode}</code></td><td class="muted">${e.origin}</td></tr>`,
  )}</tbody>
</table>`,
    html` <span class="muted">${c.files} ${c.files === 1 ? 'file' : 'files'}, ${formatSize(c.bytes)}</span>`,
  );
}

/** 1234 → "1.2 KiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
