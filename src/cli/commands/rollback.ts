import { createInterface } from 'node:readline/promises';
import { readLedger, activeVersion } from '../../core/deploy/ledger';
import { promote, type PromoteResult } from '../../core/deploy/promote';
import { rollbackRecord, rollbackSource } from '../../core/deploy/rollback';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../command';
import { isSwarmTarget, swarmRollback, TARGET_HELP, TARGET_OPTIONS } from '../swarmTarget';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  parseCommandArgs,
  progressWriter,
  withCancel,
  writeJson,
} from '../engineFromArgs';
import {
  DEPLOY_OPTIONS,
  KEEPER_HELP,
  deployEnvironmentFromArgs,
  deployTimings,
  promoteJson,
  promoteProgress,
  promoteSummary,
  reportDeployFailure,
} from '../deployFromArgs';

export const rollbackCommand: CliCommand = {
  name: 'rollback',
  summary: 'serve an earlier version again: its image as it was built, never rebuilt',
  help: `Usage: mastercopy rollback [--to VERSION] [--yes] [--json] [--host HOST] NAME

Promotes an earlier version of master copy NAME again, blue/green like \`mastercopy
promote\`, from its image exactly as it was built (the image id is the ledger's). No
master copy file is needed: the image carries its master copy; secrets are read again
now, from your environment or the files beside the master copy, as at print.
Without --to, the version that the active one replaced. If the image is gone, nothing
happens and you are told how to rebuild it from the recorded commit.

On a terminal you are asked to confirm; elsewhere --yes is required.

Options:
      --to VERSION   the version to go back to (\`mastercopy history NAME\` lists them)
  -y, --yes          do not ask
      --drain S      seconds the current version's open connections get (default 5)
      --timeout S    seconds the copies get to be printed and healthy (default 60)
      --json         print the result as one JSON object (as \`promote --json\`)
  -q, --quiet        no progress on stderr
${KEEPER_HELP}
${HOST_HELP}
${TARGET_HELP}

Exit codes: 0 rolled back, 1 nothing to roll back to, the image is gone, the copies never
became healthy, or another deploy holds the lock, 2 usage error, engine not reachable,
or no --yes without a terminal, 130 cancelled.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      to: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      ...DEPLOY_OPTIONS,
      ...HOST_OPTION,
      ...TARGET_OPTIONS,
    });
    const swarm = isSwarmTarget(values, io);
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? 'roll back one master copy at a time'
          : 'name the master copy to roll back (its name, not a file)',
      );
    const name = positionals[0];
    const { drainMs, timeoutMs } = deployTimings(values);
    const interactive = process.stdin.isTTY === true && io.stderr.isTTY === true;
    if (!values.yes && !interactive)
      throw new UsageError('not on a terminal: add --yes to roll back without being asked');
    if (swarm)
      return swarmRollback(io, name, values, {
        timeoutMs,
        confirm: values.yes ? undefined : (question) => confirm(io, question),
      });
    const say = progressWriter(io, values.quiet);
    let result: PromoteResult | undefined;
    try {
      const engine = engineFromArgs(values.host, io);
      const ledger = await readLedger(engine, name);
      const record = rollbackRecord(ledger, name, values.to);
      const current = activeVersion(ledger);
      const source = await rollbackSource(engine, name, record, current?.record);
      if (
        !values.yes &&
        !(await confirm(
          io,
          `Roll ${name} back from ${current?.version} to ${record.version} ` +
            `(image ${record.imageId.slice(7, 19)}, promoted ${record.at} by ${record.by.user}` +
            `${record.git ? `, commit ${record.git.commit.slice(0, 12)}` : ''})? [y/N] `,
        ))
      ) {
        io.stderr.write('Nothing rolled back.\n');
        return EXIT.ok;
      }
      const deploy = deployEnvironmentFromArgs(engine, io, values);
      result = await withCancel((signal) =>
        promote(engine, source, deploy, {
          drainMs,
          timeoutMs,
          signal,
          onProgress: promoteProgress(say),
        }),
      );
    } catch (e) {
      return reportDeployFailure(io, 'rollback', e);
    }
    if (values.json) writeJson(io, promoteJson(result));
    else promoteSummary(io, result);
    return EXIT.ok;
  },
};

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
