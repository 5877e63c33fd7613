// The commands on the Swarm target (`--target swarm`): the same command lines, the core of
// src/core/swarm/ underneath. Each command file parses its arguments and hands over here.
import { MAX_COPIES } from '../core/copies/print';
import { nodeReadSecretFile } from '../core/copies/secrets';
import { activeVersion, readLedger } from '../core/deploy/ledger';
import { nodeDeployEnvironment } from '../core/deploy/nodeDeployEnvironment';
import type { PromoteSource } from '../core/deploy/promote';
import { rollbackRecord, rollbackSource } from '../core/deploy/rollback';
import { disposeService } from '../core/swarm/dispose';
import { printService } from '../core/swarm/print';
import {
  promoteService,
  SwarmPromoteError,
  type SwarmPromoteEvent,
  type SwarmPromoteResult,
} from '../core/swarm/promote';
import { scaleService } from '../core/swarm/scale';
import { SwarmError, taskText } from '../core/swarm/service';
import type { PublishMode } from '../core/swarm/spec';
import { listServiceCopies, readServiceLogs } from '../core/swarm/tasks';
import { EXIT, UsageError, type CliIo } from './command';
import { reportDeployFailure } from './deployFromArgs';
import {
  engineFromArgs,
  progressWriter,
  withCancel,
  writeJson,
  type LoadedMasterCopy,
} from './engineFromArgs';
import { oneLine } from './terminalText';

/** The options every command with a target takes. */
export const TARGET_OPTIONS = {
  target: { type: 'string' },
  registry: { type: 'string' },
  'publish-mode': { type: 'string' },
} as const;

export const TARGET_HELP = `      --target T   local (default: copies are containers of this engine) or swarm (a
                   Swarm service of the engine's swarm); MASTERCOPY_TARGET sets the default
      --registry R (swarm) HOST[:PORT]/PREFIX: the image is pushed there for the other nodes
      --publish-mode M  (swarm) ingress (default: every node answers) or host (each task's node)`;

export interface TargetValues {
  target?: string;
  registry?: string;
  'publish-mode'?: string;
}

/** Whether the command runs on the Swarm target (--target, else MASTERCOPY_TARGET, else local). */
export function isSwarmTarget(values: TargetValues, io: CliIo): boolean {
  const target = values.target ?? io.env.MASTERCOPY_TARGET ?? 'local';
  if (target !== 'local' && target !== 'swarm')
    throw new UsageError(`--target must be local or swarm, not '${target}'`);
  if (target === 'local' && (values.registry !== undefined || values['publish-mode'] !== undefined))
    throw new UsageError('--registry and --publish-mode are for --target swarm');
  return target === 'swarm';
}

function publishMode(values: TargetValues): PublishMode | undefined {
  const mode = values['publish-mode'];
  if (mode === undefined) return undefined;
  if (mode !== 'ingress' && mode !== 'host')
    throw new UsageError(`--publish-mode must be ingress or host, not '${mode}'`);
  return mode;
}

/** Swarm's errors in plain words (exit 1); the rest as every engine command reports them. */
function reportSwarmFailure(
  io: CliIo,
  command: string,
  e: unknown,
  loaded?: LoadedMasterCopy,
): number {
  if (e instanceof SwarmError || e instanceof SwarmPromoteError) {
    io.stderr.write(`mastercopy ${command}: ${oneLine(e.message)}\n`);
    return EXIT.problems;
  }
  return reportDeployFailure(io, command, e, loaded);
}

interface Common extends TargetValues {
  host?: string;
  quiet?: boolean;
  json?: boolean;
}

export async function swarmPrint(
  io: CliIo,
  loaded: LoadedMasterCopy,
  values: Common,
  copies: number | undefined,
): Promise<number> {
  const { mc, folder } = loaded;
  const say = progressWriter(io, values.quiet);
  try {
    const engine = engineFromArgs(values.host, io);
    const result = await withCancel((signal) =>
      printService(engine, mc, folder, {
        copies,
        env: io.env,
        readFile: nodeReadSecretFile,
        registry: values.registry,
        publishMode: publishMode(values),
        onPush: say,
        signal,
        onProgress: (e) => {
          if (e.kind === 'built')
            say(e.status === 'built' ? `Built ${e.tag}` : `${e.tag} is up to date`);
          else if (e.kind === 'build' && e.event.kind === 'step')
            say(`Step ${e.event.step}/${e.event.total} : ${e.event.instruction}`);
          else if (e.kind === 'network' && e.created) say(`Created network ${e.name}`);
          else if (e.kind === 'service')
            say(
              `${e.action === 'created' ? 'Created' : e.action === 'scaled' ? 'Scaled' : 'Kept'} service ${e.name}: ${e.replicas} replicas`,
            );
          else if (e.kind === 'tasks') say(`  ${e.running} of ${e.replicas} running`);
          else if (e.kind === 'warning')
            io.stderr.write(`mastercopy print: warning: ${oneLine(e.text)}\n`);
        },
      }),
    );
    const healthy = result.running.length >= result.replicas;
    if (values.json)
      writeJson(io, {
        status: healthy ? 'running' : 'unhealthy',
        target: 'swarm',
        tag: result.tag,
        image: result.image,
        service: result.service,
        replicas: result.replicas,
        running: result.running.map((t) => ({ index: t.slot, id: t.id, node: t.nodeId })),
        failed: result.failed.map((t) => ({
          index: t.slot,
          id: t.id,
          state: t.state,
          error: t.error ?? null,
        })),
      });
    else
      io.stdout.write(
        `Printed ${result.replicas} replica${result.replicas === 1 ? '' : 's'} of ${result.tag} as the Swarm service ` +
          `${result.service.name}: ${result.running.length} running${healthy ? '' : ' (not all within the deadline)'}\n`,
      );
    for (const t of result.failed) io.stderr.write(`mastercopy print: ${oneLine(taskText(t))}\n`);
    return healthy ? EXIT.ok : EXIT.problems;
  } catch (e) {
    return reportSwarmFailure(io, 'print', e, loaded);
  }
}

function deployProgress(say: (line: string) => void): (e: SwarmPromoteEvent) => void {
  return (e) => {
    if (e.kind === 'phase') say(`[${e.phase}] ${e.text}`);
    else if (e.kind === 'update') say(`  Swarm: ${e.state}${e.message ? ` (${e.message})` : ''}`);
    else if (e.kind === 'tasks') say(`  ${e.running} of ${e.replicas} running`);
    else if (e.kind === 'warning') say(`warning: ${e.text}`);
    else if (e.kind === 'build' && e.event.kind === 'step')
      say(`  Step ${e.event.step}/${e.event.total}`);
    else if (e.kind === 'lock-taken-over')
      say(
        `Took over a stale deploy lock held by ${e.from.user}@${e.from.host} (pid ${e.from.pid})`,
      );
  };
}

function deploySummary(io: CliIo, r: SwarmPromoteResult, json: boolean | undefined): void {
  if (json) {
    writeJson(io, {
      status: r.status,
      target: 'swarm',
      name: r.name,
      version: r.version,
      replaced: r.replaced,
      seq: r.record?.seq ?? null,
      imageId: r.record?.imageId ?? null,
      service: r.service,
      image: r.image,
      replicas: r.replicas,
    });
    return;
  }
  if (r.status === 'already-active') {
    io.stdout.write(
      `${r.name} ${r.version} is already the active version on the swarm: nothing to promote.\n`,
    );
    return;
  }
  const verb = r.status === 'rolled-back' ? 'Rolled back' : 'Promoted';
  io.stdout.write(
    `${verb} ${r.name} to ${r.version}${r.replaced ? ` (was ${r.replaced})` : ''}: ` +
      `${r.replicas} replica${r.replicas === 1 ? '' : 's'} of ${r.image} in ${r.service.name} (ledger #${r.record?.seq}).\n`,
  );
}

interface DeployValues extends Common {
  'keeper-base'?: string;
  'engine-socket'?: string;
}

function swarmDeployEnvironment(io: CliIo, engine: ReturnType<typeof engineFromArgs>) {
  // The keeper's settings are not used on the Swarm target: Swarm is the keeper.
  return nodeDeployEnvironment(engine, io.env, { scriptPath: '' });
}

export async function swarmPromote(
  io: CliIo,
  loaded: LoadedMasterCopy,
  values: DeployValues,
  options: { copies?: number; timeoutMs?: number },
): Promise<number> {
  const say = progressWriter(io, values.quiet);
  try {
    const engine = engineFromArgs(values.host, io);
    const source: PromoteSource = { kind: 'file', mc: loaded.mc, folder: loaded.folder };
    const result = await withCancel((signal) =>
      promoteService(engine, source, swarmDeployEnvironment(io, engine), {
        ...options,
        registry: values.registry,
        publishMode: publishMode(values),
        onPush: say,
        signal,
        onProgress: deployProgress(say),
      }),
    );
    deploySummary(io, result, values.json);
    return EXIT.ok;
  } catch (e) {
    return reportSwarmFailure(io, 'promote', e, loaded);
  }
}

export async function swarmRollback(
  io: CliIo,
  name: string,
  values: DeployValues & { to?: string },
  options: { timeoutMs?: number; confirm?: (question: string) => Promise<boolean> },
): Promise<number> {
  const say = progressWriter(io, values.quiet);
  try {
    const engine = engineFromArgs(values.host, io);
    const ledger = await readLedger(engine, name);
    const record = rollbackRecord(ledger, name, values.to);
    const current = activeVersion(ledger);
    const source = await rollbackSource(engine, name, record, current?.record);
    if (
      options.confirm &&
      !(await options.confirm(
        `Roll ${name} back on the swarm from ${current?.version} to ${record.version}? [y/N] `,
      ))
    ) {
      io.stderr.write('Nothing rolled back.\n');
      return EXIT.ok;
    }
    const result = await withCancel((signal) =>
      promoteService(engine, source, swarmDeployEnvironment(io, engine), {
        timeoutMs: options.timeoutMs,
        registry: values.registry,
        publishMode: publishMode(values),
        onPush: say,
        signal,
        onProgress: deployProgress(say),
      }),
    );
    deploySummary(io, result, values.json);
    return EXIT.ok;
  } catch (e) {
    return reportSwarmFailure(io, 'rollback', e);
  }
}

export async function swarmScale(
  io: CliIo,
  name: string,
  n: number,
  values: Common,
): Promise<number> {
  const say = progressWriter(io, values.quiet);
  try {
    const engine = engineFromArgs(values.host, io);
    const result = await withCancel((signal) =>
      scaleService(engine, name, n, {
        signal,
        onTasks: (running) => say(`  ${running} of ${n} running`),
      }),
    );
    const done = result.running.length >= n;
    if (values.json)
      writeJson(io, {
        name,
        target: 'swarm',
        before: result.before,
        after: result.after,
        running: result.running.length,
        failed: result.failed.map((t) => ({
          index: t.slot,
          id: t.id,
          state: t.state,
          error: t.error ?? null,
        })),
      });
    else
      io.stdout.write(
        `${name} on the swarm: ${result.before} → ${result.after} replica${result.after === 1 ? '' : 's'}` +
          `${done ? '' : ` (${result.running.length} running)`}\n`,
      );
    for (const t of result.failed) io.stderr.write(`mastercopy scale: ${oneLine(taskText(t))}\n`);
    return done ? EXIT.ok : EXIT.problems;
  } catch (e) {
    return reportSwarmFailure(io, 'scale', e);
  }
}

export async function swarmDispose(io: CliIo, name: string, values: Common): Promise<number> {
  const say = progressWriter(io, values.quiet);
  try {
    const engine = engineFromArgs(values.host, io);
    const result = await withCancel((signal) => disposeService(engine, name, { signal }));
    if (values.json) writeJson(io, { target: 'swarm', ...result });
    else {
      if (result.service)
        say(`  removed service ${result.service.name} (${result.service.version})`);
      for (const s of result.secrets) say(`  removed secret ${s}`);
      for (const n of result.networks) say(`  removed network ${n}`);
      io.stdout.write(
        result.service
          ? `Disposed of ${name} on the swarm: its service, ${result.secrets.length} secret${result.secrets.length === 1 ? '' : 's'} ` +
              `and ${result.networks.length} network${result.networks.length === 1 ? '' : 's'}.\n`
          : `${name} has no service on the swarm; nothing to dispose of.\n`,
      );
    }
    return EXIT.ok;
  } catch (e) {
    return reportSwarmFailure(io, 'dispose', e);
  }
}

export async function swarmPs(
  io: CliIo,
  name: string | undefined,
  values: Common,
): Promise<number> {
  try {
    const engine = engineFromArgs(values.host, io);
    const services = await withCancel((signal) => listServiceCopies(engine, { name, signal }));
    const copies = services.flatMap((s) => s.copies);
    if (values.json) {
      writeJson(io, copies);
      return EXIT.ok;
    }
    if (!services.length) {
      io.stdout.write(`No services of ${name ?? 'any master copy'} on the swarm.\n`);
      return EXIT.ok;
    }
    const rows = [
      ['NAME', 'VERSION', 'INDEX', 'TASK', 'STATE', 'NODE', 'PORTS'],
      ...copies.map((c) =>
        [
          c.name,
          c.version,
          String(c.index),
          c.shortId,
          c.state,
          c.node,
          c.ports
            .map((p) => `${p.host ?? '-'}->${p.container}/${p.protocol} (${p.mode})`)
            .join(', '),
        ].map(oneLine),
      ),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows)
      io.stdout.write(
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd() + '\n',
      );
    for (const s of services)
      if (s.service.updateState && s.service.updateState !== 'completed')
        io.stdout.write(
          `${oneLine(s.name)}: Swarm's last update: ${oneLine(s.service.updateState)}\n`,
        );
    return EXIT.ok;
  } catch (e) {
    return reportSwarmFailure(io, 'ps', e);
  }
}

export async function swarmLogs(
  io: CliIo,
  name: string,
  values: Common & { follow?: boolean; 'no-prefix'?: boolean },
  options: { tail?: number; since?: number },
): Promise<number> {
  try {
    const engine = engineFromArgs(values.host, io);
    await withCancel((signal) =>
      readServiceLogs(engine, name, { ...options, follow: values.follow, signal }, (line) => {
        io.stdout.write(`${values['no-prefix'] ? '' : `${line.index} | `}${oneLine(line.text)}\n`);
      }),
    );
    return EXIT.ok;
  } catch (e) {
    return reportSwarmFailure(io, 'logs', e);
  }
}

/** N for `scale` on the swarm (0 allowed: the service stays with no task). */
export function replicasArg(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) > MAX_COPIES)
    throw new UsageError(`N must be a whole number from 0 to ${MAX_COPIES}, not '${value}'`);
  return Number(value);
}
