// "Master Copy: Open Preview to the Side": one preview panel, beside the editor, that
// follows the active master copy and updates as it is edited and as its copies change.
import * as vscode from 'vscode';
import { registerCommands } from '../commands/command';
import { openPreviewCommand } from '../commands/openPreview';
import type { EngineFeatures } from '../engineFeatures';
import type { DiagnosticsProvider } from '../language/diagnostics';
import { isMasterCopy } from '../language/convert';
import type { Log } from '../log';
import { parsePreviewState } from '../../core/preview/messages';
import { Disposable, toDisposable, type IDisposable } from '../../core/util/lifecycle';
import {
  PREVIEW_VIEW_TYPE,
  PreviewPanel,
  type MessageOutcome,
  type PreviewPanelDeps,
  type PreviewSnapshot,
} from './previewPanel';

/** What the extension's API exposes of the preview (its tests read what the panel shows). */
export interface PreviewApi {
  /** What the open panel shows; undefined when no panel is open or it has not rendered yet. */
  current(): PreviewSnapshot | undefined;
  /** Resolves once the open panel has no update waiting or running. */
  settled(): Promise<void>;
  /** Handles `message` as if the open panel's page had posted it (undefined: no panel). */
  receive(message: unknown): Promise<MessageOutcome | undefined>;
}

export interface PreviewDeps {
  log: Log;
  diagnostics: DiagnosticsProvider;
  /** The engine features; undefined until the workspace is trusted. */
  engine(): EngineFeatures | undefined;
}

export class MasterCopyPreview extends Disposable implements PreviewApi {
  private panel?: PreviewPanel;
  /** The open panel's onDidDispose listener. */
  private panelListener?: IDisposable;
  private engineConnected = false;

  constructor(
    diagnostics: DiagnosticsProvider,
    private readonly deps: PreviewPanelDeps,
  ) {
    super();
    this._register(
      diagnostics.onDidValidate((doc) => this.panel?.validated(doc, diagnostics.resultFor(doc))),
    );
    this._register(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // Focus moving to the panel itself (or any non-master-copy editor) keeps what it shows.
        if (editor && isMasterCopy(editor.document)) this.panel?.follow(editor.document);
      }),
    );
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.connectEngine();
        this.panel?.reload();
      }),
    );
    // The open panel goes with the preview (its listener first: nothing to forget then).
    this._register(
      toDisposable(() => {
        const panel = this.panel;
        this.forgetPanel();
        panel?.dispose();
      }),
    );
    this.connectEngine();
  }

  /** Opens the preview of `uri` (else of the active master copy) beside the editor, or reveals it. */
  async open(uri?: vscode.Uri): Promise<PreviewPanel> {
    const active = vscode.window.activeTextEditor?.document;
    const target = uri ?? (active && isMasterCopy(active) ? active.uri : this.panel?.uri);
    if (!target)
      throw new Error('There is no master copy to preview: open a *.mastercopy.yaml file first.');
    const document = await vscode.workspace.openTextDocument(target);
    if (!isMasterCopy(document))
      throw new Error(
        `${vscode.workspace.asRelativePath(target)} is not a master copy (*.mastercopy.yaml), so it has no preview.`,
      );
    this.connectEngine();
    if (this.panel) {
      this.panel.follow(document);
      this.panel.panel.reveal(undefined, true);
      return this.panel;
    }
    return this.adopt(new PreviewPanel(document, this.deps));
  }

  /**
   * VS Code restored a preview panel after a reload, with the state its page kept. The
   * state comes from the page: only a master copy that opens is shown; otherwise the
   * panel is closed (it would have nothing to show).
   */
  async restore(
    webviewPanel: vscode.WebviewPanel,
    state: unknown,
  ): Promise<PreviewPanel | undefined> {
    const saved = parsePreviewState(state);
    let document: vscode.TextDocument | undefined;
    if (saved) {
      try {
        document = await vscode.workspace.openTextDocument(vscode.Uri.parse(saved.source, true));
      } catch (e) {
        this.deps.log.info(
          `preview: not restoring the preview of ${saved.source}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    if (!document || !isMasterCopy(document) || this.panel) {
      webviewPanel.dispose();
      return undefined;
    }
    this.connectEngine();
    return this.adopt(new PreviewPanel(document, this.deps, webviewPanel));
  }

  private adopt(panel: PreviewPanel): PreviewPanel {
    if (this.isDisposed) {
      // Opened while the preview went away (open() and restore() wait on the document).
      panel.dispose();
      return panel;
    }
    // One panel at a time (open() and restore() see to it); a stale one would go.
    this.panel?.dispose();
    this.panel = panel;
    this.panelListener = panel.onDidDispose(() => {
      if (this.panel === panel) this.forgetPanel();
    });
    return panel;
  }

  private forgetPanel(): void {
    this.panelListener?.dispose();
    this.panelListener = undefined;
    this.panel = undefined;
  }

  current(): PreviewSnapshot | undefined {
    return this.panel?.snapshot();
  }

  async settled(): Promise<void> {
    await this.panel?.settled();
  }

  async receive(message: unknown): Promise<MessageOutcome | undefined> {
    return this.panel?.receive(message);
  }

  /** Once the engine features exist (a trusted workspace): follow the copies they see. */
  private connectEngine(): void {
    const features = this.deps.engine();
    if (this.engineConnected || this.isDisposed || !features) return;
    this.engineConnected = true;
    this._register(features.model.onDidChange(() => this.panel?.update()));
    // Another engine (the setting changed): ask it.
    this._register(features.engine.onDidChange(() => this.panel?.update()));
  }
}

/** Registers the preview and its command (in every workspace: untrusted ones get a read-only preview). */
export function registerPreview(context: vscode.ExtensionContext, deps: PreviewDeps): PreviewApi {
  const preview = new MasterCopyPreview(deps.diagnostics, {
    extensionUri: context.extensionUri,
    log: deps.log,
    engine: deps.engine,
    isTrusted: () => vscode.workspace.isTrusted,
    async runCommand(id, ...args) {
      if (!(await vscode.commands.getCommands(true)).includes(id)) return false;
      await vscode.commands.executeCommand(id, ...args);
      return true;
    },
  });
  context.subscriptions.push(
    preview,
    // After a window reload VS Code brings the panel back (activating us for it) with its page's state.
    vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) =>
        preview.restore(panel, state).then(() => undefined),
    }),
  );
  registerCommands(context, deps.log, [openPreviewCommand({ log: deps.log, preview })]);
  return preview;
}
