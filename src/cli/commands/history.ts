import {
  activeVersion,
  forgetLedger,
  readLedger,
  type LedgerRecord,
} from '../../core/deploy/ledger';
import { EXIT, UsageError, type CliCommand } from '../command';
import { isSwarmTarget, TARGET_OPTIONS } from '../swarmTarget';
import { oneLine } from '../terminalText';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  parseCommandArgs,
  reportFailure,
  writeJson,
} from '../engineFromArgs';

export const historyCommand: CliCommand = {
  name: 'history',
  summary: 'the ledger of a master copy: every promote and rollback, who, when, which commit',
  help: `Usage: mastercopy history [--json] [--host HOST] NAME
       mastercopy history --forget --yes NAME

Lists every promote and rollback of master copy NAME on this engine, and every one that
failed or was cancelled, oldest first; * marks the record of the active version. The
ledger is kept on the engine (one small labelled volume per record), so every client
pointed at it sees the same; \`dispose --all\` keeps it. --forget removes it.

Options:
      --json     print the records as a JSON array:
                 [{seq, action, version, imageId, digest, outcome, reason?, at,
                   by: {user, host}, git: {commit, dirty}|null, replaced, copies, folder,
                   gateway: {port, target}|null, active}]
      --forget   remove the ledger of NAME (with --yes)
  -y, --yes      confirm --forget
${HOST_HELP}
      --target T   local or swarm: both keep this same ledger

Exit codes: 0 listed (also when empty), 2 usage error or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      forget: { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      ...HOST_OPTION,
      ...TARGET_OPTIONS,
    });
    // Both targets keep the same ledger on the engine: the target changes nothing here.
    isSwarmTarget(values, io);
    if (positionals.length !== 1) throw new UsageError('name one master copy (its name)');
    const name = positionals[0];
    if (values.forget && !values.yes)
      throw new UsageError('--forget removes the ledger for good: add --yes');
    try {
      const engine = engineFromArgs(values.host, io);
      if (values.forget) {
        const n = await forgetLedger(engine, name);
        io.stdout.write(`Forgot ${n} record${n === 1 ? '' : 's'} of ${name}.\n`);
        return EXIT.ok;
      }
      const ledger = await readLedger(engine, name);
      const active = activeVersion(ledger)?.record.seq;
      if (values.json) {
        writeJson(
          io,
          ledger.map((r) => ({ ...r, active: r.seq === active })),
        );
        return EXIT.ok;
      }
      if (ledger.length === 0) {
        io.stdout.write(
          `${name} has no deploy history on this engine (mastercopy promote FILE starts it).\n`,
        );
        return EXIT.ok;
      }
      const rows = ledger.map((r) => row(r, r.seq === active).map(oneLine));
      const widths = rows[0].map((_, i) =>
        Math.max(...rows.map((cells) => cells[i].length), HEADER[i].length),
      );
      const line = (cells: string[]) =>
        cells
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd() + '\n';
      // Who and which version come from the engine (anybody who can write to it): escaped like every value we print.
      io.stdout.write(line(HEADER));
      for (const cells of rows) io.stdout.write(line(cells));
      for (const r of ledger)
        if (r.reason) io.stdout.write(`#${r.seq} ${oneLine(r.outcome)}: ${oneLine(r.reason)}\n`);
      return EXIT.ok;
    } catch (e) {
      return reportFailure(io, 'history', e);
    }
  },
};

const HEADER = [
  '',
  'SEQ',
  'WHEN',
  'ACTION',
  'VERSION',
  'OUTCOME',
  'REPLACED',
  'BY',
  'COMMIT',
  'IMAGE',
];

function row(r: LedgerRecord, active: boolean): string[] {
  return [
    active ? '*' : '',
    String(r.seq),
    r.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.action,
    r.version,
    r.outcome,
    r.replaced ?? '-',
    `${r.by.user}@${r.by.host}`,
    r.git ? `${r.git.commit.slice(0, 12)}${r.git.dirty ? '+' : ''}` : '-',
    r.imageId ? r.imageId.replace(/^sha256:/, '').slice(0, 12) : '-',
  ];
}
