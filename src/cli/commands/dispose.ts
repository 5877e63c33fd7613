import { createInterface } from 'node:readline/promises';
import {
  disposeCopies,
  type CopyRef,
  type DisposeResult,
  type DisposeTarget,
} from '../../core/copies/dispose';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../command';
import { isSwarmTarget, swarmDispose, TARGET_HELP, TARGET_OPTIONS } from '../swarmTarget';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  looksLikeFile,
  parseCommandArgs,
  progressWriter,
  reportFailure,
  withCancel,
  writeJson,
} from '../engineFromArgs';
import { oneLine } from '../terminalText';

export const disposeCommand: CliCommand = {
  name: 'dispose',
  summary: "stop and remove copies (only ever Master Copy's own)",
  help: `Usage: mastercopy dispose [--all] [--yes] [--json] [--host HOST] FILE|NAME[:VERSION]|COPY

Stops copies gracefully (SIGTERM, then SIGKILL after --timeout seconds) and removes them:
  FILE          the copies of the version in that master copy file
  NAME          the copies of master copy NAME (refused when several versions have
                copies: name one, or use --all)
  NAME:VERSION  the copies of that version
  COPY          one copy, by its id (or a unique prefix of it) or its container name
With --all, FILE or NAME means every version of that master copy, and its endpoint
(the keeper) goes too. When nothing of a master copy remains, its network
(mastercopy-NAME) goes as well. Named volumes and the deploy history (the ledger) are
state and stay. Only containers carrying Master Copy's labels are ever touched: your
own containers survive whatever their names.

On a terminal you are asked to confirm; elsewhere --yes is required.

Options:
      --all        every version of the master copy
  -y, --yes        do not ask
      --timeout S  seconds a copy gets to stop before it is killed (default 10)
      --json       print {disposed: [{name, version, index, id}], networksRemoved: [...],
                   keepersRemoved: [...]}
  -q, --quiet      no progress on stderr
${HOST_HELP}
${TARGET_HELP}
On the Swarm target FILE or NAME disposes of the master copy's service, its secrets and
its overlay network (only ever ours: a service of yours survives whatever its name).

Exit codes: 0 disposed (or nothing to dispose), 1 the target is ambiguous or names no
copy, or a removal failed, 2 usage error, engine not reachable, or no --yes without a
terminal, 130 cancelled.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      all: { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      timeout: { type: 'string' },
      ...HOST_OPTION,
      ...TARGET_OPTIONS,
    });
    const swarm = isSwarmTarget(values, io);
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? 'dispose one target at a time'
          : 'name what to dispose: FILE, NAME[:VERSION] or a copy id',
      );
    const stopTimeoutSeconds = values.timeout !== undefined ? Number(values.timeout) : undefined;
    if (
      stopTimeoutSeconds !== undefined &&
      !(Number.isInteger(stopTimeoutSeconds) && stopTimeoutSeconds >= 0)
    )
      throw new UsageError(`--timeout must be a whole number of seconds, not '${values.timeout}'`);
    const stdin = process.stdin;
    const interactive = stdin.isTTY === true && io.stderr.isTTY === true;
    if (!values.yes && !interactive)
      throw new UsageError('not on a terminal: add --yes to dispose without being asked');

    const arg = positionals[0];
    if (swarm) {
      // The service is the master copy's, whatever version it runs: FILE or NAME.
      const name = looksLikeFile(arg, io) ? loadMasterCopy(io, 'dispose', arg) : arg.split(':')[0];
      if (typeof name === 'number') return name;
      return swarmDispose(io, typeof name === 'string' ? name : name.mc.name, values);
    }
    let target: DisposeTarget;
    if (looksLikeFile(arg, io)) {
      const loaded = loadMasterCopy(io, 'dispose', arg);
      if (typeof loaded === 'number') return loaded;
      target = values.all
        ? { name: loaded.mc.name, all: true }
        : { name: loaded.mc.name, version: loaded.mc.version };
    } else if (arg.includes(':')) {
      const [name, version] = [arg.slice(0, arg.indexOf(':')), arg.slice(arg.indexOf(':') + 1)];
      if (!name || !version) throw new UsageError(`'${arg}' is not NAME:VERSION`);
      if (values.all)
        throw new UsageError('--all disposes every version: give NAME without a version');
      target = { name, version };
    } else {
      // A master copy's name when it has copies, else one copy's id or container name.
      target = values.all ? { name: arg, all: true } : { ref: arg };
    }

    const say = progressWriter(io, values.quiet);
    let result: DisposeResult;
    try {
      const engine = engineFromArgs(values.host, io);
      result = await withCancel((signal) =>
        disposeCopies(engine, target, {
          signal,
          stopTimeoutSeconds,
          confirm: values.yes ? undefined : (copies) => confirm(io, copies),
          onProgress: (e) =>
            say(
              e.kind === 'disposed'
                ? `  disposed ${e.copy.name}:${e.copy.version} copy ${e.copy.index} ${e.copy.id.slice(0, 12)}`
                : e.kind === 'keeper-removed'
                  ? `  removed the endpoint (keeper) of ${e.name}`
                  : `  removed network ${e.name}`,
            ),
        }),
      );
    } catch (e) {
      return reportFailure(io, 'dispose', e);
    }
    writeDisposeResult(io, target, result, values.json);
    return EXIT.ok;
  },
};

/**
 * What was disposed. Details (on stderr, like the progress) come first and the summary
 * (on stdout) last, so that the order is the same whether the two streams are shown
 * together or apart.
 */
export function writeDisposeResult(
  io: CliIo,
  target: DisposeTarget,
  result: DisposeResult,
  json: boolean,
): void {
  if (result.cancelled) {
    io.stderr.write('Nothing disposed.\n');
    return;
  }
  for (const name of result.keepersRemoved)
    io.stderr.write(
      `The deploy history of ${name} is kept (mastercopy history ${name}); forget it with: mastercopy history --forget --yes ${name}\n`,
    );
  if (json) {
    writeJson(io, {
      disposed: result.disposed.map((c) => ({
        name: c.name,
        version: c.version,
        index: c.index,
        id: c.id,
      })),
      networksRemoved: result.networksRemoved,
      keepersRemoved: result.keepersRemoved,
    });
  } else if (result.disposed.length === 0 && result.keepersRemoved.length === 0) {
    io.stdout.write(`No copies of ${describe(target)} to dispose.\n`);
  } else {
    const n = result.disposed.length;
    io.stdout.write(
      `Disposed of ${n} cop${n === 1 ? 'y' : 'ies'} of ${describe(target)}` +
        `${result.keepersRemoved.length ? ', its endpoint (keeper)' : ''}` +
        `${result.networksRemoved.length ? ` and the network ${result.networksRemoved.join(', ')}` : ''}.\n`,
    );
  }
}

function describe(target: DisposeTarget): string {
  if ('copy' in target) return oneLine(target.copy);
  if ('ref' in target) return oneLine(target.ref);
  return oneLine(target.version !== undefined ? `${target.name}:${target.version}` : target.name);
}

async function confirm(io: CliIo, copies: readonly CopyRef[]): Promise<boolean> {
  io.stderr.write(
    `About to stop and remove ${copies.length} cop${copies.length === 1 ? 'y' : 'ies'}:\n`,
  );
  for (const c of copies)
    io.stderr.write(
      `  ${oneLine(`${c.name}:${c.version}`)} copy ${c.index}  ${c.id.slice(0, 12)}  ${oneLine(c.containerName)}\n`,
    );
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  try {
    const answer = await rl.question('Dispose of them? [y/N] ');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
