import {
  MAX_COPIES,
  printCopies,
  type PrintedCopy,
  type PrintEvent,
  type PrintResult,
} from '../../core/copies/print';
import { isAbortError } from '../../core/engine/errors';
import { nodeReadSecretFile } from '../../core/copies/secrets';
import { EXIT, UsageError, type CliCommand } from '../command';
import { isSwarmTarget, swarmPrint, TARGET_HELP, TARGET_OPTIONS } from '../swarmTarget';
import { healthProberFromArgs, PROBE_HELP, PROBE_OPTIONS } from '../deployFromArgs';
import { oneLine } from '../terminalText';
import {
  EXIT_CANCELLED,
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  loadMasterCopy,
  parseCommandArgs,
  progressWriter,
  reportFailure,
  wholeNumber,
  withCancel,
  writeJson,
} from '../engineFromArgs';

export const printCommand: CliCommand = {
  name: 'print',
  summary: 'print N identical, read-only, hardened copies of a master copy',
  help: `Usage: mastercopy print [--copies N] [--json] [--quiet] [--host HOST] FILE

Builds the image of the master copy FILE if needed (like \`mastercopy build\`), then
creates and starts N copies in parallel, and waits until they are healthy when FILE
has \`health\`. Printing more copies of a version that has some adds to them.

Every copy runs hardened unless \`runtime\` says otherwise: read-only root filesystem,
all capabilities dropped, no-new-privileges, tmpfs, memory and CPU limits, its
restart policy; on the network mastercopy-NAME; its ports published on 127.0.0.1
(an ephemeral host port unless \`hostPort\` fixes one); labelled io.mastercopy.*.
Secrets are read now, from your environment (fromEnv) or a file beside FILE
(fromFile), and given to the copies as environment variables only — never to the
image, its labels or a log. A missing secret stops the print before anything starts.

Options:
  -n, --copies N   how many copies to add (1–${MAX_COPIES}); default \`copies\` in FILE, else 1
      --json       print the result as one JSON object on stdout:
                   {status: "healthy"|"unhealthy"|"printed", tag, digest, build, network,
                    copies: [{index, id, name, ports: [{container, protocol, host, hostIp}]}],
                    unhealthy: [{index, id, name, reason, lastLogLines}]}
  -q, --quiet      no progress on stderr
${HOST_HELP}
${PROBE_HELP}
${TARGET_HELP}

On the Swarm target the master copy becomes the service mastercopy-NAME with N replicas
(its tasks are the copies); secrets are Swarm secrets, files under /run/secrets (the env
names each file as NAME_FILE); see README's Swarm part.

Exit codes: 0 printed (and healthy), 1 FILE has errors, a secret is missing, a port
is taken, the build failed, or a copy never became healthy (it is left running:
see its log lines, then \`mastercopy dispose\`), 2 usage error, unreadable file or
engine not reachable, 130 cancelled (copies being created are removed again).
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      copies: { type: 'string', short: 'n' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      ...HOST_OPTION,
      ...PROBE_OPTIONS,
      ...TARGET_OPTIONS,
    });
    const swarm = isSwarmTarget(values, io);
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? 'print one master copy at a time'
          : 'name the master copy file to print',
      );
    const copies =
      values.copies !== undefined
        ? wholeNumber(values.copies, '--copies', 1, MAX_COPIES)
        : undefined;
    const loaded = loadMasterCopy(io, 'print', positionals[0]);
    if (typeof loaded === 'number') return loaded;
    if (swarm) return swarmPrint(io, loaded, values, copies);
    const { mc, folder } = loaded;
    const say = progressWriter(io, values.quiet);

    let result: PrintResult;
    let waiting = 0;
    try {
      const engine = engineFromArgs(values.host, io);
      result = await withCancel((signal) =>
        printCopies(engine, mc, folder, {
          copies,
          env: io.env,
          readFile: nodeReadSecretFile,
          signal,
          prober: healthProberFromArgs(engine, io, values),
          onProgress: (e) => {
            if (e.kind === 'waiting-for-health') waiting = e.count;
            progress(e, say);
          },
        }),
      );
    } catch (e) {
      if (waiting && isAbortError(e)) {
        // Cancelled after every copy had started: they are printed, only the wait was cancelled.
        io.stderr.write(
          `mastercopy print: cancelled while waiting for health; ` +
            `the ${waiting} new cop${waiting === 1 ? 'y is' : 'ies are'} running ` +
            `(mastercopy ps ${mc.name}; mastercopy dispose ${mc.name}:${mc.version}).\n`,
        );
        return EXIT_CANCELLED;
      }
      return reportFailure(io, 'print', e, loaded);
    }

    const status = result.unhealthy.length
      ? 'unhealthy'
      : result.healthChecked
        ? 'healthy'
        : 'printed';
    if (values.json) {
      writeJson(io, {
        status,
        tag: result.build.tag,
        digest: result.build.digest,
        build: result.build.status,
        network: result.network,
        copies: result.copies.map(jsonCopy),
        unhealthy: result.unhealthy.map((u) => ({
          ...jsonCopy(u),
          reason: u.reason,
          lastLogLines: u.lastLogLines,
        })),
      });
    } else {
      const n = result.copies.length;
      const healthText = result.healthChecked
        ? result.unhealthy.length
          ? `; ${result.unhealthy.length} never became healthy`
          : ', all healthy'
        : '';
      io.stdout.write(
        `Printed ${n} cop${n === 1 ? 'y' : 'ies'} of ${result.build.tag}${healthText}\n`,
      );
      for (const c of result.copies)
        io.stdout.write(
          `  ${c.index}  ${c.id.slice(0, 12)}  ${oneLine(c.name)}  ${portsText(c)}\n`,
        );
    }
    for (const u of result.unhealthy) {
      io.stderr.write(
        `mastercopy print: copy ${u.index} (${u.id.slice(0, 12)}) never became healthy: ${oneLine(u.reason)}\n`,
      );
      io.stderr.write(
        u.lastLogLines.length
          ? `Its last log lines:\n${u.lastLogLines.map((l) => `  ${oneLine(l)}`).join('\n')}\n`
          : 'Its log is empty.\n',
      );
    }
    if (result.unhealthy.length)
      io.stderr.write(
        `The copies are left running; dispose of them with: mastercopy dispose ${mc.name}:${mc.version}\n`,
      );
    return result.unhealthy.length ? EXIT.problems : EXIT.ok;
  },
};

function progress(e: PrintEvent, say: (line: string) => void): void {
  switch (e.kind) {
    case 'build':
      if (e.event.kind === 'step')
        say(`Step ${e.event.step}/${e.event.total} : ${e.event.instruction}`);
      return;
    case 'built':
      return say(e.status === 'built' ? `Built ${e.tag}` : `${e.tag} is up to date`);
    case 'network':
      if (e.created) say(`Created network ${e.name}`);
      return;
    case 'volume':
      if (e.created) say(`Created volume ${e.name}`);
      return;
    case 'starting':
      return say(
        `Starting ${e.count} cop${e.count === 1 ? 'y' : 'ies'} ` +
          `(index ${e.firstIndex}${e.count > 1 ? `–${e.firstIndex + e.count - 1}` : ''})`,
      );
    case 'started':
      return say(`  started ${e.copy.index} ${e.copy.id.slice(0, 12)} ${portsText(e.copy)}`);
    case 'waiting-for-health':
      return say(`Waiting for ${e.count} cop${e.count === 1 ? 'y' : 'ies'} to be healthy`);
    case 'healthy':
      return say(`  healthy ${e.copy.index} ${e.copy.id.slice(0, 12)}`);
    case 'unhealthy':
      return say(`  unhealthy ${e.copy.index} ${e.copy.id.slice(0, 12)}: ${e.copy.reason}`);
  }
}

function portsText(c: PrintedCopy): string {
  return c.ports
    .map((p) =>
      p.hostPort !== undefined
        ? `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`
        : `${p.containerPort}/${p.protocol}`,
    )
    .join(', ');
}

function jsonCopy(c: PrintedCopy) {
  return {
    index: c.index,
    id: c.id,
    name: c.name,
    ports: c.ports.map((p) => ({
      container: p.containerPort,
      protocol: p.protocol,
      host: p.hostPort ?? null,
      hostIp: p.hostIp ?? null,
    })),
  };
}
