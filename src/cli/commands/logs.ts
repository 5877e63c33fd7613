import { LogFormatter } from '../../core/logs/LogFormatter';
import { followLogs } from '../../core/logs/LogFollower';
import {
  LogTargetError,
  describeLogTarget,
  resolveLogTarget,
} from '../../core/logs/resolveLogTarget';
import type { LogTarget } from '../../core/logs/types';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../command';
import { isSwarmTarget, swarmLogs, TARGET_HELP, TARGET_OPTIONS } from '../swarmTarget';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  looksLikeFile,
  parseCommandArgs,
  reportFailure,
  withCancel,
} from '../engineFromArgs';

export const logsCommand: CliCommand = {
  name: 'logs',
  summary: "show (and follow) the logs of a master copy's copies, merged, or of one copy",
  help: `Usage: mastercopy logs [--follow] [--tail N] [--since DURATION|TIME] [--timestamps]
                       [--no-prefix] [--color|--no-color] [--host HOST] TARGET

Shows the logs of
  FILE          every copy of that master copy (any version: a promoted version's
                copies join the tail)
  NAME          every copy of master copy NAME
  NAME:VERSION  the copies of that version
  COPY          one copy, by its id (or a unique prefix of it) or its container name
Lines of several copies are merged in timestamp order, each prefixed with its copy's
index ("0 | ", or "1.1.0/0 | " when copies of two versions take part) in a colour that
stays the copy's. stdout and stderr of the copies both go to stdout, in order.

With --follow the tail keeps going until Ctrl-C: new lines, copies that restart, new
copies (print, scale, promote), copies removed, and the engine going away and coming
back. It picks each copy up where it was, without repeating or losing a line, and says
what happened in a line starting with "-- ".

Options:
  -f, --follow         keep following
  -n, --tail N         start with the last N lines of each copy (default: all)
      --since WHEN     only lines since WHEN: a duration ago (90s, 10m, 2h, 1h30m) or a
                       time (2026-11-25T12:00:00Z, or seconds since the epoch)
  -t, --timestamps     show the engine's timestamp of each line
      --no-prefix      no copy prefix
      --color          colour even when stdout is not a terminal
      --no-color       no colour even on a terminal (also: NO_COLOR set)
${HOST_HELP}
${TARGET_HELP}
On the Swarm target the log is the service's (every task's, through the engine's service
log), each line prefixed with its task's slot.

Exit codes: 0 shown (also after Ctrl-C or a closed pipe), 1 FILE has errors or no copy
to show, 2 usage error or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      follow: { type: 'boolean', short: 'f', default: false },
      tail: { type: 'string', short: 'n' },
      since: { type: 'string' },
      timestamps: { type: 'boolean', short: 't', default: false },
      'no-prefix': { type: 'boolean', default: false },
      color: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      ...HOST_OPTION,
      ...TARGET_OPTIONS,
    });
    const swarm = isSwarmTarget(values, io);
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? 'show the logs of one target at a time'
          : 'name whose logs to show: FILE, NAME[:VERSION] or a copy id',
      );
    if (values.color && values['no-color'])
      throw new UsageError('--color and --no-color contradict each other');
    const tail =
      values.tail === undefined || values.tail === 'all' ? undefined : tailLines(values.tail);
    const since = values.since === undefined ? undefined : sinceSeconds(values.since, Date.now());
    const color =
      values.color || (!values['no-color'] && io.stdout.isTTY === true && !io.env.NO_COLOR);

    let target: LogTarget | undefined;
    const arg = positionals[0];
    if (swarm) {
      const loaded = looksLikeFile(arg, io) ? loadMasterCopy(io, 'logs', arg) : arg.split(':')[0];
      if (typeof loaded === 'number') return loaded;
      const name = typeof loaded === 'string' ? loaded : loaded.mc.name;
      return swarmLogs(io, name, values, { tail, since });
    }
    if (looksLikeFile(arg, io)) {
      const loaded = loadMasterCopy(io, 'logs', arg);
      if (typeof loaded === 'number') return loaded;
      target = { name: loaded.mc.name };
    }
    try {
      const engine = engineFromArgs(values.host, io);
      return await withCancel(async (signal) => {
        target ??= await resolveLogTarget(engine, arg, signal);
        const follower = followLogs(
          engine,
          target,
          { follow: values.follow, tail, since, timestamps: values.timestamps },
          signal,
        );
        const formatter = new LogFormatter({
          color,
          prefix: !values['no-prefix'],
          timestamps: values.timestamps,
        });
        const closed = whenClosed(io);
        void closed.promise.then(() => follower.close());
        try {
          for await (const batch of follower.batches()) {
            let text = '';
            for (const entry of batch) text += formatter.format(entry) + '\n';
            if (closed.done) break;
            if (!io.stdout.write(text)) await drained(io, closed.promise);
          }
        } finally {
          closed.dispose();
        }
        if (closed.done || signal.aborted) return EXIT.ok;
        if (follower.copies === 0) {
          io.stderr.write(
            `mastercopy logs: no copies of ${describeLogTarget(target)}. \`mastercopy ps\` lists the copies; --follow waits for them.\n`,
          );
          return EXIT.problems;
        }
        return EXIT.ok;
      });
    } catch (e) {
      if (e instanceof LogTargetError) {
        io.stderr.write(`mastercopy logs: ${e.message}\n`);
        return EXIT.problems;
      }
      return reportFailure(io, 'logs', e);
    }
  },
};

function tailLines(value: string): number {
  if (!/^[0-9]+$/.test(value))
    throw new UsageError(`--tail must be a whole number of lines or 'all', not '${value}'`);
  return Number(value);
}

/** --since as seconds since the epoch: a duration ago, an RFC 3339 time, or epoch seconds. */
export function sinceSeconds(value: string, nowMs: number): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (/^([0-9]+(ms|s|m|h))+$/.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(/([0-9]+)(ms|s|m|h)/g)) ms += Number(n) * units[unit];
    return (nowMs - ms) / 1000;
  }
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  const t = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t))
    throw new UsageError(
      `--since takes a duration (90s, 10m, 1h30m) or a time (2026-11-25T12:00:00Z), not '${value}'`,
    );
  return t / 1000;
}

/** Resolves when stdout is closed under us (`| head`: EPIPE); the tail then ends quietly. */
function whenClosed(io: CliIo): { promise: Promise<void>; done: boolean; dispose(): void } {
  let resolveClosed!: () => void;
  const state = {
    promise: new Promise<void>((r) => (resolveClosed = r)),
    done: false,
    dispose: () => {
      io.stdout.off('error', onError);
      io.stdout.off('close', onClose);
    },
  };
  const onError = () => {
    state.done = true;
    resolveClosed();
  };
  const onClose = onError;
  io.stdout.on('error', onError);
  io.stdout.on('close', onClose);
  return state;
}

function drained(io: CliIo, closed: Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      io.stdout.off('drain', done);
      resolve();
    };
    io.stdout.once('drain', done);
    void closed.then(done);
  });
}
