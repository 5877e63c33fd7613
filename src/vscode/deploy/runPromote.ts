// A promote (or a rollback, which is a promote of an image as it was built) with its phases
// as a progress notification, shared by "Promote" and "Roll Back…".
//  - Cancel before the switch is a clean undo (green disposed, blue serving): said in the
//    log and the status bar, never as an error.
//  - After the switch there is no going back: the notification says so, and a Cancel then
//    only tells that the promote finishes (its drain and dispose keep going).
import * as vscode from 'vscode';
import { isAbortError } from '../../core/engine/errors';
import { nodeDeployEnvironment } from '../../core/deploy/nodeDeployEnvironment';
import {
  alreadyActiveText,
  promote,
  PromoteError,
  PROMOTE_PHASES,
  type PromoteEvent,
  type PromoteResult,
  type PromoteSource,
} from '../../core/deploy/promote';
import type { DeployCommandDeps } from '../commands/command';
import { showBuildErrorAt } from '../commands/target';
import { PHASE_LABELS } from './runningDeploys';

export type DeployOutcome = PromoteResult | { status: 'cancelled'; name: string; version: string };

export interface RunPromoteOptions {
  /** The master copy file (a failed build step is shown in it). */
  uri?: vscode.Uri;
  /** "Promoting NAME to VERSION", "Rolling NAME back to VERSION". */
  title: string;
}

const NO_CANCEL = 'past the switch: it can no longer be cancelled';

/** Runs the promote of `source` with a progress notification. Undefined when a build failure was already shown. */
export async function runPromote(
  deps: DeployCommandDeps,
  source: PromoteSource,
  options: RunPromoteOptions,
): Promise<DeployOutcome | undefined> {
  const { log, engine, model, settings, deploys } = deps;
  const { mc } = source;
  const action = source.kind === 'image' ? 'rollback' : 'promote';
  const what = `${action} of ${mc.name} to ${mc.version}`;
  const already = deploys.get(mc.name);
  if (already)
    throw new Error(
      `A ${already.action} of ${mc.name} to ${already.version} runs in this window already (${already.text}): wait for it to finish.`,
    );
  const client = engine.client;
  const deploy = nodeDeployEnvironment(client, process.env, {
    scriptPath: deps.keeperScript,
    baseImage: settings.keeperBaseImage,
    engineSocket: settings.keeperEngineSocket,
  });
  const tracker = deploys.start(mc.name, mc.version, action);
  const controller = new AbortController();
  let switched = false;
  let done = 0;
  // Where progress goes: the notification, or after a late Cancel the one that replaces it.
  let report: (message: string, increment?: number) => void = () => undefined;
  const onProgress = (e: PromoteEvent) => {
    switch (e.kind) {
      case 'phase': {
        if (e.phase === 'switch') switched = true;
        tracker.phase(e.phase, e.text);
        log.info(`[${what}] ${e.phase}: ${e.text}`);
        // The bar moves one step per phase (a phase without work is skipped).
        const at = Math.round(
          ((PROMOTE_PHASES.indexOf(e.phase) + 1) / PROMOTE_PHASES.length) * 100,
        );
        report(
          `${PHASE_LABELS[e.phase]} — ${e.text}${switched ? ` (${NO_CANCEL})` : ''}`,
          Math.max(0, at - done),
        );
        done = Math.max(done, at);
        return;
      }
      case 'build':
        if (e.event.kind === 'step') report(`build — step ${e.event.step}/${e.event.total}`);
        else log.info(`[build ${mc.name}:${mc.version}] ${e.event.text}`);
        return;
      case 'print':
        if (e.event.kind === 'started')
          log.info(
            `[${what}] printed green copy #${e.event.copy.index} (${e.event.copy.id.slice(0, 12)})`,
          );
        if (e.event.kind === 'healthy')
          log.info(`[${what}] green copy #${e.event.copy.index} is healthy`);
        if (e.event.kind === 'unhealthy')
          log.warn(
            `[${what}] green copy #${e.event.copy.index} is not healthy: ${e.event.copy.reason}`,
          );
        return;
      case 'lock-taken-over':
        log.warn(
          `[${what}] took over a stale deploy lock held by ${e.from.user}@${e.from.host} (pid ${e.from.pid}) since ${e.from.since}`,
        );
        return;
      case 'leftovers':
        log.info(
          `[${what}] disposing of ${e.copies.length} leftover cop${e.copies.length === 1 ? 'y' : 'ies'} of an interrupted promote`,
        );
        return;
      case 'draining':
        if (e.open)
          report(
            `${PHASE_LABELS.drain} — ${e.open} connection${e.open === 1 ? '' : 's'} still open (${NO_CANCEL})`,
          );
        return;
    }
  };

  let result: PromoteResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: options.title, cancellable: true },
      (progress, token) => {
        report = (message, increment) => progress.report({ message, increment });
        const running = promote(client, source, deploy, {
          drainMs: settings.promoteDrainMs,
          timeoutMs: settings.promoteTimeoutMs,
          signal: controller.signal,
          onProgress,
        });
        token.onCancellationRequested(() => {
          if (!switched) {
            controller.abort();
            return;
          }
          // The notification closes with its Cancel button: the rest goes on in one that cannot be cancelled.
          log.info(`[${what}] cancel asked after the switch: the promote finishes`);
          void vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: `${options.title} — ${NO_CANCEL}`,
              cancellable: false,
            },
            (late) => {
              report = (message, increment) => late.report({ message, increment });
              late.report({ message: deploys.get(mc.name)?.text });
              return running.then(
                () => undefined,
                () => undefined,
              );
            },
          );
        });
        return running;
      },
    );
  } catch (e) {
    if (isAbortError(e) && controller.signal.aborted) {
      const blue = model.deployOf(mc.name)?.active?.version;
      const message =
        `The ${what} was cancelled before the switch: its green copies were disposed of` +
        `${blue && blue !== mc.version ? `, ${blue} keeps serving` : ''}.`;
      log.info(message);
      vscode.window.setStatusBarMessage(`$(circle-slash) ${message}`, 8000);
      return { status: 'cancelled', name: mc.name, version: mc.version };
    }
    if (e instanceof PromoteError) {
      for (const u of e.unhealthy) {
        log.warn(
          `green copy #${u.index} (${u.id.slice(0, 12)}) of ${mc.name}:${mc.version}: ${u.reason}\n` +
            `${u.lastLogLines.length ? `its last log lines:\n${u.lastLogLines.join('\n')}` : 'its log is empty'}`,
        );
      }
    }
    if (options.uri && showBuildErrorAt(e, options.uri, log)) return undefined;
    throw e;
  } finally {
    tracker.end();
    void model.refresh();
  }
  announce(deps, result);
  return result;
}

/** The outcome, said once. */
function announce({ log }: DeployCommandDeps, r: PromoteResult): void {
  if (r.status === 'already-active') {
    const message = alreadyActiveText(r);
    log.info(message);
    void vscode.window.showInformationMessage(message);
    return;
  }
  const verb = r.status === 'rolled-back' ? 'Rolled back' : 'Promoted';
  const copies = `${r.copies.length} cop${r.copies.length === 1 ? 'y' : 'ies'}`;
  const url = r.gateway ? `http://${r.gateway.address}:${r.gateway.port}/` : undefined;
  const where = url
    ? `: ${copies} serving at ${url}`
    : `: ${copies} serving. The master copy has no \`gateway\`, ` +
      `so there is no endpoint to move: the copies are reached on their own ports.`;
  const message = `${verb} ${r.name} to ${r.version}${r.replaced ? ` (was ${r.replaced})` : ''}${where}`;
  log.info(`${message}${r.record ? ` (ledger #${r.record.seq})` : ''}`);
  if (r.cutConnections)
    log.warn(
      `${r.cutConnections} connection${r.cutConnections === 1 ? ' was' : 's were'} still open to ${r.replaced} when the drain ended; ` +
        `they were closed with its copies (mastercopy.promote.drainSeconds gives them longer).`,
    );
  if (url)
    void vscode.window
      .showInformationMessage(message, 'Open in Browser')
      .then((c) => c && vscode.env.openExternal(vscode.Uri.parse(url)));
  else void vscode.window.showInformationMessage(message);
}
