import { promote, type PromoteResult } from '../../core/deploy/promote';
import { MAX_COPIES } from '../../core/copies/print';
import { UsageError, EXIT, type CliCommand } from '../command';
import { isSwarmTarget, swarmPromote, TARGET_HELP, TARGET_OPTIONS } from '../swarmTarget';
import { printDiff } from './diff';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  parseCommandArgs,
  progressWriter,
  wholeNumber,
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

export const promoteCommand: CliCommand = {
  name: 'promote',
  summary: 'blue/green: print the new version beside the old, switch the endpoint, dispose the old',
  help: `Usage: mastercopy promote [--copies N] [--drain S] [--timeout S] [--json] [--host HOST] FILE
       mastercopy promote --dry-run [--copies N] [--json] [--host HOST] FILE

Makes the version in FILE the one that serves, with no failed request:
  build     build NAME:VERSION if needed (a version is never rebuilt differently)
  keeper    start the endpoint (the keeper container) on gateway.port if it is not running
  print     print the green copies beside the blue ones (as many as blue has, or
            --copies, or \`copies\` in FILE)
  health    wait until every green copy is healthy (deadline --timeout)
  switch    new connections go to green from now on (written to the ledger)
  drain     blue's open connections get up to --drain seconds to finish
  dispose   blue's copies are stopped and removed
If green never becomes healthy, dies, or the deadline passes, or you press Ctrl-C before
the switch, green is disposed of and blue keeps serving. Every promote, and every failed
one, is written to the ledger on the engine (\`mastercopy history NAME\`). Promoting the
active version does nothing. Without \`gateway\` in FILE there is no endpoint to move: the
copies are replaced the same way (print, health, dispose). Two promotes of one master
copy at once: the second is refused and names the first. --dry-run changes nothing: it
prints what the promote would change, field by field, as \`mastercopy diff FILE\` does.

Options:
  -n, --copies N     how many green copies (1–${MAX_COPIES})
      --drain S      seconds blue's open connections get after the switch (default 5)
      --timeout S    seconds green gets to be printed and healthy (default 60)
      --dry-run      change nothing: say what would change (as mastercopy diff does)
      --json         print the result as one JSON object:
                     {status: "promoted"|"already-active", name, version, replaced, seq,
                      imageId, gateway: {address, port}|null, copies, disposed, cutConnections}
  -q, --quiet        no progress on stderr
${KEEPER_HELP}
${HOST_HELP}
${TARGET_HELP}

On the Swarm target Swarm itself is the keeper: a rolling update of the service, one
replica at a time, start-first, each watched for the health check's start period plus its
retries; a replica that fails makes Swarm roll back by itself (the ledger says why).

Exit codes: 0 promoted (or already active), 1 FILE has errors, the build failed, green
never became healthy, the gateway port is taken, or another promote holds the lock,
2 usage error, unreadable file or engine not reachable, 130 cancelled (before the
switch: green disposed of, blue serving). With --dry-run those of \`mastercopy diff\`: 0
nothing would change, 1 something would, 2 usage error, invalid file, engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      copies: { type: 'string', short: 'n' },
      'dry-run': { type: 'boolean', default: false },
      ...DEPLOY_OPTIONS,
      ...HOST_OPTION,
      ...TARGET_OPTIONS,
    });
    const swarm = isSwarmTarget(values, io);
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? 'promote one master copy at a time'
          : 'name the master copy file to promote',
      );
    const copies =
      values.copies !== undefined
        ? wholeNumber(values.copies, '--copies', 1, MAX_COPIES)
        : undefined;
    const { drainMs, timeoutMs } = deployTimings(values);
    const dryRun = values['dry-run'];
    const loaded = loadMasterCopy(io, 'promote', positionals[0], { json: values.json });
    if (typeof loaded === 'number') return dryRun && loaded === EXIT.problems ? EXIT.usage : loaded;
    if (dryRun)
      return printDiff(io, 'promote', loaded, { host: values.host, json: values.json, copies });
    if (swarm) return swarmPromote(io, loaded, values, { copies, timeoutMs });
    const say = progressWriter(io, values.quiet);
    let result: PromoteResult;
    try {
      const engine = engineFromArgs(values.host, io);
      const deploy = deployEnvironmentFromArgs(engine, io, values);
      result = await withCancel((signal) =>
        promote(engine, { kind: 'file', mc: loaded.mc, folder: loaded.folder }, deploy, {
          copies,
          drainMs,
          timeoutMs,
          signal,
          onProgress: promoteProgress(say),
        }),
      );
    } catch (e) {
      return reportDeployFailure(io, 'promote', e, loaded);
    }
    if (values.json) writeJson(io, promoteJson(result));
    else promoteSummary(io, result);
    return EXIT.ok;
  },
};
