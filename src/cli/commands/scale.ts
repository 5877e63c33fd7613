import { MAX_COPIES } from '../../core/copies/print';
import { scaleCopies, type ScaleResult } from '../../core/copies/scale';
import { nodeReadSecretFile } from '../../core/copies/secrets';
import { EXIT, UsageError, type CliCommand } from '../command';
import {
  isSwarmTarget,
  replicasArg,
  swarmScale,
  TARGET_HELP,
  TARGET_OPTIONS,
} from '../swarmTarget';
import { healthProberFromArgs, PROBE_HELP, PROBE_OPTIONS } from '../deployFromArgs';
import { oneLine } from '../terminalText';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  masterCopyNameArg,
  parseCommandArgs,
  progressWriter,
  reportFailure,
  wholeNumber,
  withCancel,
  writeJson,
} from '../engineFromArgs';

export const scaleCommand: CliCommand = {
  name: 'scale',
  summary: 'scale the copies of a master copy version up or down to N',
  help: `Usage: mastercopy scale [--json] [--quiet] [--timeout SECONDS] [--host HOST] FILE N

Makes the version in FILE have N copies (0–${MAX_COPIES}); every existing copy of it
counts, whatever its state.
  up:   prints the difference, like \`mastercopy print FILE --copies K\` (built if
        needed, hardened, health-gated); indices continue after the highest one;
  down: stops the copies with the highest indices gracefully (SIGTERM, then after
        --timeout seconds SIGKILL) and removes them.
Behind a \`gateway\` the keeper keeps that count (a copy that dies is replaced). The
active version of a master copy with \`autoscale\` is refused: its keeper sets its count
between min and max; change \`autoscale\` and promote instead.

Options:
      --timeout S  seconds a copy gets to stop before it is killed (default 10)
      --json       print {name, version, before, after, printed: [{index, id}],
                   removed: [{index, id}], unhealthy: [{index, id, reason, lastLogLines}]}
  -q, --quiet      no progress on stderr
${HOST_HELP}
${PROBE_HELP}
${TARGET_HELP}

Exit codes: 0 done, 1 FILE has errors or the scaling failed (e.g. a new copy never
became healthy, or the version is autoscaled), 2 usage error, unreadable file or engine not reachable, 130 cancelled.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      timeout: { type: 'string' },
      ...HOST_OPTION,
      ...PROBE_OPTIONS,
      ...TARGET_OPTIONS,
    });
    if (isSwarmTarget(values, io)) {
      if (positionals.length !== 2)
        throw new UsageError(
          'give the master copy (FILE or NAME) and the number of replicas: mastercopy scale FILE N',
        );
      const name = masterCopyNameArg(io, 'scale', positionals[0]);
      if (typeof name === 'number' || name === undefined) return name ?? EXIT.usage;
      return swarmScale(io, name, replicasArg(positionals[1]), values);
    }
    if (positionals.length !== 2)
      throw new UsageError(
        'give the master copy file and the number of copies: mastercopy scale FILE N',
      );
    const n = wholeNumber(positionals[1], 'N', 0, MAX_COPIES);
    const stopTimeoutSeconds =
      values.timeout !== undefined ? wholeNumber(values.timeout, '--timeout', 0, 3600) : undefined;
    const loaded = loadMasterCopy(io, 'scale', positionals[0]);
    if (typeof loaded === 'number') return loaded;
    const { mc, folder } = loaded;
    const say = progressWriter(io, values.quiet);

    let result: ScaleResult;
    try {
      const engine = engineFromArgs(values.host, io);
      result = await withCancel((signal) =>
        scaleCopies(engine, mc, folder, n, {
          env: io.env,
          readFile: nodeReadSecretFile,
          signal,
          prober: healthProberFromArgs(engine, io, values),
          stopTimeoutSeconds,
          onRemoved: (c) => say(`  removed ${c.index} ${c.id.slice(0, 12)}`),
          onProgress: (e) => {
            if (e.kind === 'built' && e.status === 'built') say(`Built ${e.tag}`);
            else if (e.kind === 'started')
              say(`  started ${e.copy.index} ${e.copy.id.slice(0, 12)}`);
            else if (e.kind === 'healthy')
              say(`  healthy ${e.copy.index} ${e.copy.id.slice(0, 12)}`);
            else if (e.kind === 'unhealthy')
              say(`  unhealthy ${e.copy.index} ${e.copy.id.slice(0, 12)}: ${e.copy.reason}`);
          },
        }),
      );
    } catch (e) {
      return reportFailure(io, 'scale', e, loaded);
    }
    const unhealthy = result.printed?.unhealthy ?? [];
    if (values.json) {
      writeJson(io, {
        name: mc.name,
        version: mc.version,
        before: result.before,
        after: result.after,
        printed: (result.printed?.copies ?? []).map((c) => ({ index: c.index, id: c.id })),
        removed: result.removed.map((c) => ({ index: c.index, id: c.id })),
        unhealthy: unhealthy.map((u) => ({
          index: u.index,
          id: u.id,
          reason: u.reason,
          lastLogLines: u.lastLogLines,
        })),
      });
    } else {
      const what =
        result.before === result.after
          ? 'nothing to do'
          : result.after > result.before
            ? `printed ${result.after - result.before}`
            : `removed ${result.before - result.after}`;
      io.stdout.write(
        `${mc.name}:${mc.version}: ${result.before} → ${result.after} cop${result.after === 1 ? 'y' : 'ies'} (${what})\n`,
      );
    }
    for (const u of unhealthy) {
      io.stderr.write(
        `mastercopy scale: copy ${u.index} (${u.id.slice(0, 12)}) never became healthy: ${oneLine(u.reason)}\n`,
      );
      if (u.lastLogLines.length)
        io.stderr.write(
          `Its last log lines:\n${u.lastLogLines.map((l) => `  ${oneLine(l)}`).join('\n')}\n`,
        );
    }
    return unhealthy.length ? EXIT.problems : EXIT.ok;
  },
};
