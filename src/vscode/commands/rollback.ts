// "Master Copy: Roll Back…": serve an earlier version again — a promote of its image exactly
// as it was built (never a rebuild), picked from the ledger on the engine.
import * as vscode from 'vscode';
import { activeVersion, readLedger } from '../../core/deploy/ledger';
import {
  historyEntries,
  rollbackChoices,
  shortTime,
  type HistoryEntry,
} from '../../core/deploy/overview';
import { RollbackError, rollbackRecord, rollbackSource } from '../../core/deploy/rollback';
import { runPromote, type DeployOutcome } from '../deploy/runPromote';
import type { Command, DeployCommandDeps } from './command';
import { fileOf, isNode } from './target';

/** Which record to go back to, when the caller knows (the preview's History, tests). */
export interface RollbackOptions {
  /** The ledger record (its version is what serves again). */
  seq?: number;
  version?: string;
}

export type RollbackOutcome =
  DeployOutcome | { status: 'already-serving'; name: string; version: string };

export function rollbackCommand(deps: DeployCommandDeps): Command {
  const { engine, files, model } = deps;
  return {
    id: 'mastercopy.rollback',
    /** (tree node | file | master copy name, options?): without a target, a master copy with a ledger is picked. */
    async run(arg?: unknown, options?: unknown): Promise<RollbackOutcome | undefined> {
      const name = await nameOf(arg);
      if (!name) return undefined;
      const client = engine.client;
      const ledger = await readLedger(client, name);
      const active = activeVersion(ledger);
      const chosen = await choose(
        name,
        historyEntries(ledger),
        rollbackChoices(ledger),
        active?.version,
        parseOptions(options),
      );
      if (!chosen) return undefined;
      if (chosen.version === active?.version) {
        void vscode.window.showInformationMessage(
          `${name} already serves ${chosen.version}: there is nothing to roll back.`,
        );
        return { status: 'already-serving', name, version: chosen.version };
      }
      const record = rollbackRecord(ledger, name, chosen.version);
      const source = await rollbackSource(client, name, record, active?.record);
      return runPromote(deps, source, { title: `Rolling ${name} back to ${record.version}` });
    },
  };

  async function nameOf(arg: unknown): Promise<string | undefined> {
    if (typeof arg === 'string' && arg) return arg;
    if (isNode(arg) && arg.kind !== 'engineDown')
      return arg.kind === 'copy' ? arg.copy.name : arg.name;
    const uri = fileOf(arg);
    if (uri) {
      const f = await files.read(uri);
      if (!f.name)
        throw new Error(
          `${vscode.workspace.asRelativePath(uri)} has no valid \`name\` yet, so it has no deploy history to roll back in.`,
        );
      return f.name;
    }
    // From the palette: one of the master copies that have a ledger on this engine.
    await model.refresh();
    const state = model.state;
    if (state.kind === 'down') throw new Error(state.message);
    const names =
      state.kind === 'ok'
        ? [...state.deploys.values()]
            .filter((d) => d.active)
            .map((d) => d.name)
            .sort()
        : [];
    if (names.length === 0)
      throw new RollbackError(
        'No master copy has been promoted on this engine, so there is nothing to roll back. Promote one first ("Master Copy: Promote").',
      );
    if (names.length === 1) return names[0];
    const picked = await vscode.window.showQuickPick(
      names.map((n) => ({
        label: n,
        description: `${model.deployOf(n)?.active?.version ?? ''} serves now`,
      })),
      { title: 'Roll back which master copy?', matchOnDescription: true },
    );
    return picked?.label;
  }
}

function parseOptions(options: unknown): RollbackOptions {
  if (!options || typeof options !== 'object') return {};
  const o = options as Record<string, unknown>;
  return {
    seq: typeof o.seq === 'number' ? o.seq : undefined,
    version: typeof o.version === 'string' ? o.version : undefined,
  };
}

async function choose(
  name: string,
  entries: HistoryEntry[],
  choices: HistoryEntry[],
  active: string | undefined,
  options: RollbackOptions,
): Promise<HistoryEntry | undefined> {
  if (options.seq !== undefined) {
    const entry = entries.find((e) => e.seq === options.seq);
    if (!entry) throw new RollbackError(`The ledger of ${name} has no record #${options.seq}.`);
    if (!entry.wentThrough)
      throw new RollbackError(
        `Record #${options.seq} of ${name} (${entry.version}) did not go through (${entry.outcome}), ` +
          `so ${entry.version} never served from it.`,
      );
    return entry;
  }
  if (options.version !== undefined) {
    const entry = choices.find((e) => e.version === options.version);
    if (!entry)
      throw new RollbackError(
        `${name} ${options.version} was never served on this engine; ` +
          `the ledger knows ${choices.map((e) => e.version).join(', ') || 'no version that went through'}.`,
      );
    return entry;
  }
  if (choices.length === 0)
    throw new RollbackError(
      `${name} has never been promoted on this engine, so there is nothing to roll back to.`,
    );
  const items = choices.map((e) => ({
    label: e.active ? `$(rocket) ${e.version}` : e.version,
    description: e.active
      ? 'active: serves now'
      : `${e.action === 'rollback' ? 'rolled back to' : 'promoted'} ${shortTime(e.at)} by ${e.by}`,
    detail: [
      e.active ? `since ${shortTime(e.at)} by ${e.by}` : undefined,
      e.commit ? `commit ${e.commit}` : 'no git commit recorded',
      e.image ? `image ${e.image}` : undefined,
      `ledger #${e.seq}`,
    ]
      .filter(Boolean)
      .join(' · '),
    entry: e,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Roll ${name} back to which version?${active ? ` (${active} serves now)` : ''}`,
    placeHolder: 'Its image is printed again exactly as it was built; nothing is rebuilt.',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.entry;
}
