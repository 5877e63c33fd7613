// Everything that talks to a container engine: only in a trusted workspace.
import * as vscode from 'vscode';
import { buildCommand } from './commands/build';
import { registerCommands, type DeployCommandDeps } from './commands/command';
import { RunningDeploys } from './deploy/runningDeploys';
import { copyAddressCommand } from './commands/copyAddress';
import { copyIdCommand } from './commands/copyId';
import { disposeCommand } from './commands/dispose';
import { filterLogsCommand } from './commands/filterLogs';
import { tailLogsCommand } from './commands/tailLogs';
import { LogViews } from './logs/logViews';
import { openInBrowserCommand } from './commands/openInBrowser';
import { printCommand } from './commands/print';
import { promoteCommand } from './commands/promote';
import { refreshCommand } from './commands/refresh';
import { retryConnectionCommand } from './commands/retryConnection';
import { rollbackCommand } from './commands/rollback';
import { replaceDriftedCommand } from './commands/replaceDrifted';
import { scaleCommand } from './commands/scale';
import { selectTargetCommand } from './commands/selectTarget';
import { EngineService } from './engine/engineService';
import { MasterCopyCodeLenses } from './language/codeLens';
import { DriftDiagnostics } from './language/driftDiagnostics';
import type { DiagnosticsProvider } from './language/diagnostics';
import type { Log } from './log';
import { WorkspaceMasterCopies } from './masterCopies';
import type { Settings } from './settings';
import { ActiveVersionStatusBar, EngineStatusBar } from './statusBar';
import { CopiesModel } from './tree/copiesModel';
import { CopiesTreeProvider } from './tree/copiesTree';
import { RefreshManager } from './tree/refreshManager';

export interface EngineFeatures {
  engine: EngineService;
  logs: LogViews;
  model: CopiesModel;
  tree: CopiesTreeProvider;
  refresh: RefreshManager;
  /** The promotes and rollbacks running in this window. */
  deploys: RunningDeploys;
  activeVersion: ActiveVersionStatusBar;
}

export function registerEngineFeatures(
  context: vscode.ExtensionContext,
  deps: { log: Log; settings: Settings; diagnostics: DiagnosticsProvider },
): EngineFeatures {
  const { log, settings, diagnostics } = deps;
  const engine = new EngineService(log, settings);
  const files = new WorkspaceMasterCopies(log);
  const model = new CopiesModel(engine, log);
  const refresh = new RefreshManager(model, engine, log);
  const deploys = new RunningDeploys();
  const tree = new CopiesTreeProvider(model, files, deploys);
  const view = vscode.window.createTreeView('mastercopy.copies', {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  const logs = new LogViews();
  context.subscriptions.push(engine, files, model, refresh, deploys, tree, view, logs);

  // Follow the engine only while someone looks at the copies: the view, or a master copy
  // on screen (its code lens says how many copies run). A preview holds it too.
  const follow = () => refresh.setViewVisible(view.visible);
  context.subscriptions.push(view.onDidChangeVisibility(follow));
  let editorHold: vscode.Disposable | undefined;
  const followEditors = () => {
    const shown = vscode.window.visibleTextEditors.some(
      (e) => e.document.languageId === 'mastercopy',
    );
    if (shown && !editorHold) editorHold = refresh.hold();
    else if (!shown && editorHold) {
      editorHold.dispose();
      editorHold = undefined;
    }
  };
  context.subscriptions.push(vscode.window.onDidChangeVisibleTextEditors(followEditors), {
    dispose: () => editorHold?.dispose(),
  });

  const activeVersion = new ActiveVersionStatusBar(model, deploys, diagnostics);
  context.subscriptions.push(
    model.onDidChange(
      () =>
        void vscode.commands.executeCommand(
          'setContext',
          'mastercopy.engineDown',
          model.state.kind === 'down',
        ),
    ),
    new EngineStatusBar(model, engine),
    activeVersion,
    MasterCopyCodeLenses.register(diagnostics, model),
    new DriftDiagnostics(diagnostics, model),
  );
  // One look at the engine at start, for the status bar and code lenses — just after
  // activation, not in it: loading the engine client is the heaviest part of a start, and VS
  // Code waits for activate() to return before it goes on (bench/activation.mjs).
  const firstLook = setImmediate(() => {
    follow();
    followEditors();
    void model.refresh();
  });
  context.subscriptions.push({ dispose: () => clearImmediate(firstLook) });

  // The keeper's program ships in the extension, bundled like the CLI.
  const commandDeps: DeployCommandDeps = {
    log,
    engine,
    files,
    model,
    settings,
    deploys,
    keeperScript: context.asAbsolutePath('dist/keeper.js'),
  };
  registerCommands(context, log, [
    buildCommand(commandDeps),
    printCommand(commandDeps),
    promoteCommand(commandDeps),
    rollbackCommand(commandDeps),
    scaleCommand(commandDeps),
    replaceDriftedCommand(commandDeps),
    selectTargetCommand(commandDeps),
    disposeCommand(commandDeps),
    openInBrowserCommand(commandDeps),
    copyIdCommand(commandDeps),
    copyAddressCommand(commandDeps),
    refreshCommand(commandDeps),
    retryConnectionCommand(commandDeps),
    tailLogsCommand(commandDeps, settings, logs),
    filterLogsCommand(logs),
  ]);
  return { engine, logs, model, tree, refresh, deploys, activeVersion };
}
