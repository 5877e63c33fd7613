// Entry point: builds the shared services and hands them to each feature.
// The order of initialisation is the order of the lines below.
import * as vscode from 'vscode';
import { registerCommands } from './commands/command';
import { exportCommand } from './commands/export';
import { newMasterCopyCommand } from './commands/newMasterCopy';
import { registerEngineFeatures, type EngineFeatures } from './engineFeatures';
import { DiagnosticsProvider } from './language/diagnostics';
import { registerLanguageFeatures } from './language/register';
import { Log } from './log';
import { registerPreview, type PreviewApi } from './preview/masterCopyPreview';
import { Settings } from './settings';

/** What the extension exposes to its own tests (and to other extensions). */
export interface MasterCopyApi {
  diagnostics: DiagnosticsProvider;
  /** Undefined until the workspace is trusted. */
  readonly engine: EngineFeatures | undefined;
  preview: PreviewApi;
}

export function activate(context: vscode.ExtensionContext): MasterCopyApi {
  const log = new Log();
  context.subscriptions.push(log);
  try {
    const settings = new Settings();
    const diagnostics = new DiagnosticsProvider(log, settings);
    context.subscriptions.push(diagnostics);
    registerLanguageFeatures(context);
    // Export needs no engine: the language side has it, in an untrusted workspace too.
    registerCommands(context, log, [newMasterCopyCommand({ log }), exportCommand({ log })]);
    // An untrusted workspace gets language features only: no engine, no builds.
    let engine: EngineFeatures | undefined;
    const startEngineFeatures = () =>
      (engine ??= registerEngineFeatures(context, { log, settings, diagnostics }));
    if (vscode.workspace.isTrusted) startEngineFeatures();
    else context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(startEngineFeatures));
    // After the engine features: on a grant of trust they start first, then the preview follows them.
    const preview = registerPreview(context, { log, diagnostics, engine: () => engine });
    log.info(
      `Master Copy ${context.extension.packageJSON.version} activated ` +
        `(${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: language features only'})`,
    );
    return {
      diagnostics,
      preview,
      get engine() {
        return engine;
      },
    };
  } catch (e) {
    // VS Code shows nothing when activation fails: say it.
    log.error(e);
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window
      .showErrorMessage(`Master Copy failed to start: ${message}`, 'Show Log')
      .then((c) => c && log.show());
    throw e instanceof Error ? e : new Error(message);
  }
}

export function deactivate(): void {}
