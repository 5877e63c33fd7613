// "Master Copy: Filter Log Tail": show only the lines that match a text or a /regex/.
import * as vscode from 'vscode';
import { parseLogFilter } from '../../core/logs/logFilter';
import { LogTerminal } from '../logs/logTerminal';
import type { LogViews } from '../logs/logViews';
import type { Command } from './command';

export function filterLogsCommand(views: LogViews): Command {
  return {
    id: 'mastercopy.filterLogs',
    /** (terminal?, text?): from a key in the terminal, or with the text for tests. */
    async run(arg?: unknown, text?: unknown) {
      const pty = arg instanceof LogTerminal ? arg : views.active();
      if (!pty) throw new Error('No log tail is open. Run "Master Copy: Tail Logs" first.');
      const typed =
        typeof text === 'string'
          ? text
          : await vscode.window.showInputBox({
              title: 'Filter the log tail',
              prompt:
                'Show only lines containing this text, or matching /regex/ (empty: every line)',
              value: pty.filterDescription?.replace(/^"|"$/g, '') ?? '',
              validateInput: (v) => {
                try {
                  parseLogFilter(v);
                  return undefined;
                } catch (e) {
                  return (e as Error).message;
                }
              },
            });
      if (typed === undefined) return undefined;
      pty.setFilter(parseLogFilter(typed));
      return pty.filterDescription;
    },
  };
}
