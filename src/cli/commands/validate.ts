import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeFileAccess } from '../../core/mastercopy/fileAccess';
import type { Diagnostic } from '../../core/mastercopy/diagnostic';
import { LineIndex } from '../../core/mastercopy/positions';
import { validateText } from '../../core/mastercopy/validator';
import { EXIT, UsageError, type CliCommand } from '../command';
import { describeReadError as describeFsError, readMasterCopyFile } from '../engineFromArgs';
import { oneLine, terminalJson } from '../terminalText';

export interface JsonProblem {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'information';
  message: string;
  code: string;
}

const MASTER_COPY_FILE = /\.mastercopy\.ya?ml$/;
const SKIP_DIRS = new Set(['node_modules', '.git']);

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check master copies: YAML syntax, the schema and the rules',
  help: `Usage: mastercopy validate [--format text|json] FILE|FOLDER…

Checks each master copy: YAML syntax, the schema (schemas/mastercopy.schema.json)
and the rules beyond it (paths stay inside the folder, ports referred to exist, …).
A FOLDER is searched for *.mastercopy.yaml / *.mastercopy.yml files.

Output, one problem per line (line and column are 1-based):
  FILE:LINE:COL: error|warning: MESSAGE
With --format json, one JSON array of
  {file, line, column, endLine, endColumn, severity, message, code}

Exit codes: 0 no errors (warnings allowed), 1 some file has an error,
2 usage error or a file that cannot be read.
`,
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: { format: { type: 'string', default: 'text' } },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const format = parsed.values.format;
    if (format !== 'text' && format !== 'json')
      throw new UsageError(`--format must be text or json, not '${format}'`);
    if (parsed.positionals.length === 0)
      throw new UsageError('name at least one master copy file or folder');

    const problems: JsonProblem[] = [];
    let unreadable = false;
    let files = 0;
    for (const arg of parsed.positionals) {
      let paths: string[];
      try {
        paths = expand(resolve(io.cwd, arg));
        if (paths.length === 0)
          io.stderr.write(`mastercopy validate: no *.mastercopy.yaml files in ${oneLine(arg)}\n`);
      } catch (e) {
        io.stderr.write(
          `mastercopy validate: cannot read ${oneLine(arg)}: ${oneLine(describeFsError(e))}\n`,
        );
        unreadable = true;
        continue;
      }
      for (const abs of paths) {
        const shown = abs === resolve(io.cwd, arg) ? arg : relative(io.cwd, abs) || abs;
        let text: string;
        let problem: Diagnostic | undefined;
        try {
          ({ text, problem } = readMasterCopyFile(abs));
        } catch (e) {
          io.stderr.write(
            `mastercopy validate: cannot read ${oneLine(shown)}: ${oneLine(describeFsError(e))}\n`,
          );
          unreadable = true;
          continue;
        }
        files++;
        const lines = new LineIndex(text);
        for (const d of problem
          ? [problem]
          : validateText(text, { path: abs }, nodeFileAccess).diagnostics) {
          const s = lines.positionAt(d.range.start);
          const e = lines.positionAt(d.range.end);
          problems.push({
            file: shown,
            line: s.line + 1,
            column: s.character + 1,
            endLine: e.line + 1,
            endColumn: e.character + 1,
            severity: d.severity,
            message: d.message,
            code: d.code,
          });
        }
      }
    }

    // One problem, one line: a value with a line break in it must not forge a second one.
    if (format === 'json') io.stdout.write(terminalJson(problems, 2) + '\n');
    else
      for (const p of problems)
        io.stdout.write(
          `${oneLine(p.file)}:${p.line}:${p.column}: ${p.severity}: ${oneLine(p.message)}\n`,
        );

    const errors = problems.filter((p) => p.severity === 'error').length;
    const warnings = problems.filter((p) => p.severity === 'warning').length;
    if (format === 'text') {
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      io.stderr.write(
        `${files} master ${files === 1 ? 'copy' : 'copies'} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`,
      );
    }
    if (unreadable) return EXIT.usage;
    return errors > 0 ? EXIT.problems : EXIT.ok;
  },
};

function expand(abs: string): string[] {
  if (!statSync(abs).isDirectory()) return [abs];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name));
      } else if (MASTER_COPY_FILE.test(entry.name)) out.push(join(dir, entry.name));
    }
  };
  walk(abs);
  return out;
}
