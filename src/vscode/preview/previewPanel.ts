// One webview panel showing what a master copy will become: the core's model
// (src/core/preview) rendered by the core's HTML, updated in place as the file or the
// engine changes. The page is untrusted ground: every message goes through
// parseWebviewMessage, and commands run only in a trusted workspace.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { boundedBuildFileSystem, nodeBuildFileSystem } from '../../core/build/buildFileSystem';
import { nodeHttpProbe, type HttpProbe } from '../../core/copies/health';
import { isLocalEngine } from '../../core/engine/hostResolution';
import { nodeLockDeps } from '../../core/deploy/nodeDeployEnvironment';
import type { EngineClient } from '../../core/engine/EngineClient';
import { isAbortError } from '../../core/engine/errors';
import { nodeFileAccess } from '../../core/mastercopy/fileAccess';
import type { ValidationResult } from '../../core/mastercopy/validator';
import { renderPreviewBody, renderPreviewHtml, type RenderOptions } from '../../core/preview/html';
import {
  parseWebviewMessage,
  type PanelUpdateMessage,
  type PreviewCommand,
} from '../../core/preview/messages';
import { loadPreviewState, previewModel, type PreviewModel } from '../../core/preview/model';
import { Disposable, toDisposable } from '../../core/util/lifecycle';
import type { EngineFeatures } from '../engineFeatures';
import type { Log } from '../log';

export const PREVIEW_VIEW_TYPE = 'mastercopy.preview';

/** The command each preview button runs, with the master copy's uri. */
const COMMAND_IDS: Record<PreviewCommand, string> = {
  build: 'mastercopy.build',
  print: 'mastercopy.print',
  tailLogs: 'mastercopy.tailLogs',
  promote: 'mastercopy.promote',
};

export interface PreviewPanelDeps {
  extensionUri: vscode.Uri;
  log: Log;
  /** The engine features; undefined until the workspace is trusted. */
  engine(): EngineFeatures | undefined;
  /** Whether the workspace is trusted now (only then: buttons, commands, the engine). */
  isTrusted(): boolean;
  /** Runs a command with these arguments; resolves false when no such command is registered. */
  runCommand(id: string, ...args: unknown[]): Promise<boolean>;
}

/** What the panel shows right now (for the extension's tests). */
export interface PreviewSnapshot {
  /** The master copy the panel follows. */
  uri: string;
  model: PreviewModel;
  /** The panel's whole document as it would load now (renderPreviewHtml with the current body). */
  html: string;
  /** The panel was rendered for a trusted workspace (with buttons). */
  trusted: boolean;
  /** How many times the model was rendered; grows with every update. */
  renders: number;
}

/** What a message from the page led to (for the log and the tests). */
export type MessageOutcome =
  'ignored' | 'refused' | 'ran' | 'unknown-command' | 'revealed' | 'synced';

/** What the preview of an untrusted workspace reads of the build context, at most. */
const UNTRUSTED_READ_BOUNDS = {
  maxBytes: 64 * 2 ** 20,
  maxEntries: 20_000,
  reason: 'Restricted Mode',
};

/** After an edit is validated, wait this long for more before asking the engine. */
const UPDATE_DELAY_MS = 120;
/** While visible, look at the engine this often even without events (a safety poll). */
const POLL_MS = 15_000;
const UNTRUSTED_REASON =
  'Restricted Mode: an untrusted workspace never talks to a container engine.';

export class PreviewPanel extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private document: vscode.TextDocument;
  /** The validation the editor made of `validatedVersion` of the document. */
  private validation?: { version: number; result: ValidationResult };
  private model?: PreviewModel;
  private options?: RenderOptions;
  /** The body in `webview.html`, and the latest one (posted as an update). */
  private loadedBody = '';
  private body = '';
  private renders = 0;
  private timer?: NodeJS.Timeout;
  private poll?: NodeJS.Timeout;
  private engineHold?: vscode.Disposable;
  private run?: AbortController;
  private running?: Promise<void>;
  private readonly disposedEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposedEmitter.event;

  /** Opens a new panel in `placement`, or takes over a panel VS Code restored after a reload. */
  constructor(
    document: vscode.TextDocument,
    private readonly deps: PreviewPanelDeps,
    placement: vscode.ViewColumn | vscode.WebviewPanel = vscode.ViewColumn.Beside,
  ) {
    super();
    this.document = document;
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media', 'preview');
    const codicons = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'codicons');
    const options = {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [media, codicons],
    };
    if (typeof placement === 'object') {
      this.panel = placement;
      this.panel.webview.options = options;
      this.panel.title = titleOf(document.uri);
    } else {
      this.panel = vscode.window.createWebviewPanel(
        PREVIEW_VIEW_TYPE,
        titleOf(document.uri),
        { viewColumn: placement, preserveFocus: true },
        options,
      );
    }
    this.panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'mastercopy.svg');
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((m) => void this.receive(m)));
    this._register(this.panel.onDidChangeViewState(() => this.pollWhileVisible()));
    this._register(this.panel);
    // Disposed last registered first: the run and the timers stop before the panel closes.
    this._register(
      toDisposable(() => {
        clearTimeout(this.timer);
        this.timer = undefined;
      }),
    );
    this._register(
      toDisposable(() => {
        clearInterval(this.poll);
        this.poll = undefined;
        this.engineHold?.dispose();
        this.engineHold = undefined;
      }),
    );
    this._register(
      toDisposable(() => {
        this.run?.abort();
        this.running = undefined;
      }),
    );
    // First of all: say so (the owner forgets this panel).
    this._register(toDisposable(() => this.disposedEmitter.fire()));
    this.pollWhileVisible();
    this.update(0);
  }

  /** The master copy shown. */
  get uri(): vscode.Uri {
    return this.document.uri;
  }

  /** Shows another master copy (the active editor changed). */
  follow(document: vscode.TextDocument): void {
    if (document.uri.toString() === this.document.uri.toString()) return;
    this.document = document;
    this.validation = undefined;
    // Another file: nothing of the previous one's last valid state applies.
    this.model = undefined;
    this.options = undefined;
    this.panel.title = titleOf(document.uri);
    this.update(0);
  }

  /** The editor validated the document: use that result, and update soon. */
  validated(document: vscode.TextDocument, result: ValidationResult | undefined): void {
    if (document.uri.toString() !== this.document.uri.toString()) return;
    this.document = document;
    this.validation = result && { version: document.version, result };
    this.update(UPDATE_DELAY_MS);
  }

  /** Ask everything again soon: the engine's copies changed, trust was granted. */
  update(delayMs = UPDATE_DELAY_MS): void {
    if (this.isDisposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.refresh();
    }, delayMs);
  }

  /** Renders the whole document again (after trust was granted: buttons appear). */
  reload(): void {
    this.options = undefined;
    this.update(0);
  }

  snapshot(): PreviewSnapshot | undefined {
    if (!this.model || !this.options) return undefined;
    return {
      uri: this.document.uri.toString(),
      model: this.model,
      html: renderPreviewHtml(this.model, this.options),
      trusted: this.options.trusted,
      renders: this.renders,
    };
  }

  /** Resolves when no update is waiting or running. */
  async settled(): Promise<void> {
    while (this.timer || this.running) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async refresh(): Promise<void> {
    this.run?.abort();
    const run = (this.run = new AbortController());
    const doc = this.document;
    const text = doc.getText();
    const path = doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.path;
    const validation =
      this.validation?.version === doc.version ? this.validation.result : undefined;
    const trusted = this.deps.isTrusted();
    try {
      const state = await loadPreviewState(text, path, {
        ...this.engineDeps(trusted),
        // Restricted Mode reads a folder nobody vouched for: with a bound, whatever it holds.
        fs: trusted
          ? nodeBuildFileSystem
          : boundedBuildFileSystem(nodeBuildFileSystem, UNTRUSTED_READ_BOUNDS),
        files: nodeFileAccess,
        validation,
        lockDeps: nodeLockDeps(),
        signal: run.signal,
      });
      if (run.signal.aborted || this.isDisposed) return;
      // Drift as the copies model last checked it (the engine's events start a check, not an edit).
      const model = this.deps.engine()?.model;
      if (model?.state.kind === 'ok') state.drift = [...model.state.drift.values()];
      this.model = previewModel(text, path, state, this.model);
      this.render(trusted);
    } catch (e) {
      if (isAbortError(e) || run.signal.aborted) return;
      // A bug or an unreadable source must not leave a broken panel: keep what it shows.
      this.deps.log.error(e);
    } finally {
      if (this.run === run) {
        this.run = undefined;
        this.running = undefined;
      }
    }
  }

  private engineDeps(trusted: boolean): {
    engine?: EngineClient;
    noEngineReason?: string;
    probe?: HttpProbe;
  } {
    if (!trusted) return { noEngineReason: UNTRUSTED_REASON };
    const features = this.deps.engine();
    if (!features) return { noEngineReason: 'The engine features have not started.' };
    try {
      const engine = features.engine.client;
      // Ports are published on the engine's 127.0.0.1: probe health only with a local engine.
      return {
        engine,
        probe: isLocalEngine(engine.endpoint) ? nodeHttpProbe : undefined,
      };
    } catch (e) {
      // A host that cannot be resolved is an engine that is not there: the plan says so.
      return { noEngineReason: e instanceof Error ? e.message : String(e) };
    }
  }

  private render(trusted: boolean): void {
    const model = this.model!;
    this.renders++;
    this.panel.title = model.summary ? `Preview ${model.summary.name}` : titleOf(this.document.uri);
    this.body = renderPreviewBody(model, { trusted });
    if (!this.options || this.options.trusted !== trusted) {
      const webview = this.panel.webview;
      const codicons = vscode.Uri.joinPath(
        this.deps.extensionUri,
        'dist',
        'codicons',
        'codicon.css',
      );
      this.options = {
        // Fresh for every document: a nonce is only worth something if it cannot be guessed.
        nonce: randomBytes(18).toString('base64'),
        cspSource: webview.cspSource,
        trusted,
        scriptUri: webview
          .asWebviewUri(
            vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'preview', 'preview.js'),
          )
          .toString(),
        styleUri: webview
          .asWebviewUri(
            vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'preview', 'preview.css'),
          )
          .toString(),
        codiconsUri: existsSync(codicons.fsPath)
          ? webview.asWebviewUri(codicons).toString()
          : undefined,
        source: this.document.uri.toString(),
      };
      webview.html = renderPreviewHtml(model, this.options);
      this.loadedBody = this.body;
    } else {
      // No reload: the page swaps the body and keeps its scroll position. A hidden page
      // drops it, and asks again with `ready` when it is shown.
      void this.post(this.body);
    }
  }

  private post(body: string): Thenable<boolean> {
    const message: PanelUpdateMessage = {
      type: 'update',
      body,
      source: this.document.uri.toString(),
    };
    return this.panel.webview.postMessage(message);
  }

  /** A message from the page: only the known shapes, and commands only when trusted. */
  async receive(raw: unknown): Promise<MessageOutcome> {
    const message = parseWebviewMessage(raw, { textLength: this.document.getText().length });
    if (!message) {
      this.deps.log.warn(
        `preview: ignored a message from the page that is not one of the known shapes: ${describe(raw)}`,
      );
      return 'ignored';
    }
    switch (message.type) {
      case 'ready':
        // The page (re)loaded from `webview.html`; bring it up to date.
        if (this.body && this.body !== this.loadedBody) void this.post(this.body);
        return 'synced';
      case 'reveal': {
        const doc = await vscode.workspace.openTextDocument(this.document.uri);
        const range = new vscode.Range(doc.positionAt(message.start), doc.positionAt(message.end));
        const shown = vscode.window.visibleTextEditors.find(
          (e) => e.document.uri.toString() === doc.uri.toString(),
        );
        const column =
          shown?.viewColumn ??
          (this.panel.viewColumn === vscode.ViewColumn.One
            ? vscode.ViewColumn.Two
            : vscode.ViewColumn.One);
        const editor = await vscode.window.showTextDocument(doc, {
          viewColumn: column,
          selection: range,
          preserveFocus: false,
        });
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return 'revealed';
      }
      case 'rollback': {
        if (!this.deps.isTrusted()) {
          this.deps.log.warn(
            `preview: refused a rollback from the page of ${this.document.uri.toString()}: the workspace is not trusted`,
          );
          return 'refused';
        }
        // The name the panel shows, never one from the page.
        const name = this.model?.summary?.name;
        if (!name || !this.model?.history?.some((e) => e.seq === message.seq && e.canRollBack)) {
          this.deps.log.warn(
            `preview: ignored a rollback to record #${message.seq}, which the History does not offer`,
          );
          return 'ignored';
        }
        this.deps.log.info(`preview: mastercopy.rollback ${name} to record #${message.seq}`);
        await this.deps.runCommand('mastercopy.rollback', name, { seq: message.seq });
        this.update(0);
        return 'ran';
      }
      case 'command': {
        const id = COMMAND_IDS[message.command];
        // The page of an untrusted workspace has no buttons, but a page can post anything.
        if (!this.deps.isTrusted()) {
          this.deps.log.warn(
            `preview: refused ${id} from the page of ${this.document.uri.toString()}: the workspace is not trusted`,
          );
          return 'refused';
        }
        this.deps.log.info(`preview: ${id} ${vscode.workspace.asRelativePath(this.document.uri)}`);
        if (!(await this.deps.runCommand(id, this.document.uri))) {
          void vscode.window.showWarningMessage(
            `"${message.command === 'tailLogs' ? 'Tail Logs' : id}" is not available in this version of Master Copy (no command ${id}).`,
          );
          return 'unknown-command';
        }
        this.update(0);
        return 'ran';
      }
    }
  }

  private pollWhileVisible(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.engineHold?.dispose();
    this.engineHold = undefined;
    if (this.isDisposed || !this.panel.visible) return;
    // Live copies: keep the engine's events coming while the preview is in sight.
    if (this.deps.isTrusted()) this.engineHold = this.deps.engine()?.refresh.hold();
    this.poll = setInterval(() => this.deps.isTrusted() && this.update(0), POLL_MS);
  }
}

function titleOf(uri: vscode.Uri): string {
  return `Preview ${uri.path.split('/').pop() ?? ''}`;
}

/** A short, safe description of what the page posted, for the log. */
function describe(raw: unknown): string {
  try {
    return JSON.stringify(raw)?.slice(0, 200) ?? String(raw);
  } catch {
    return typeof raw;
  }
}
