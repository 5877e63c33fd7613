// What the deploy commands (promote, rollback) share: the keeper's options, the deploy
// environment of this process, progress lines, and their errors said plainly.
import { join } from 'node:path';
import type { HealthProber } from '../core/copies/health';
import type { EngineClient } from '../core/engine/EngineClient';
import { LockedError } from '../core/deploy/ledger';
import { nodeDeployEnvironment } from '../core/deploy/nodeDeployEnvironment';
import {
  alreadyActiveText,
  PromoteError,
  type DeployEnvironment,
  type PromoteEvent,
  type PromoteResult,
} from '../core/deploy/promote';
import { RollbackError } from '../core/deploy/rollback';
import { GatewayPortTakenError, KeeperError } from '../core/keeper/keeperContainer';
import { healthProberFor } from '../core/keeper/probeContainer';
import { EXIT, type CliIo } from './command';
import { reportFailure, wholeNumber, type LoadedMasterCopy } from './engineFromArgs';
import { oneLine } from './terminalText';

export const KEEPER_OPTIONS = {
  'keeper-base': { type: 'string' },
  'engine-socket': { type: 'string' },
} as const;

/** The options promote and rollback share (with the keeper's and --host). */
export const DEPLOY_OPTIONS = {
  drain: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  ...KEEPER_OPTIONS,
} as const;

/** --drain and --timeout in milliseconds (undefined: the defaults). */
export function deployTimings(values: { drain?: string; timeout?: string }): {
  drainMs?: number;
  timeoutMs?: number;
} {
  return {
    drainMs:
      values.drain !== undefined ? wholeNumber(values.drain, '--drain', 0, 3600) * 1000 : undefined,
    timeoutMs:
      values.timeout !== undefined
        ? wholeNumber(values.timeout, '--timeout', 1, 3600) * 1000
        : undefined,
  };
}

export const KEEPER_HELP = `      --keeper-base IMAGE   the Node image the keeper is built on (default: the local
                            mastercopy-node-base:local when present, else node:22-alpine)
      --engine-socket PATH  the engine's socket on its host, mounted into the keeper
                            (default: the unix socket in use, else /var/run/docker.sock)`;

/** The bundled keeper program beside this bundle (dist/keeper.js); MASTERCOPY_KEEPER_SCRIPT overrides it. */
export function keeperScriptPath(io: CliIo): string {
  return io.env.MASTERCOPY_KEEPER_SCRIPT || join(__dirname, 'keeper.js');
}

/** --keeper-base for the commands whose health wait may need a probe container (print, scale, drift). */
export const PROBE_OPTIONS = { 'keeper-base': KEEPER_OPTIONS['keeper-base'] } as const;

export const PROBE_HELP = `      --keeper-base IMAGE   on a remote engine, health is probed from the copies' network by a
                            container of the keeper's image, built on this Node image (default:
                            mastercopy-node-base:local when present, else node:22-alpine)`;

/** Where a health wait probes `health.http` from: published ports on a local engine, else the copies' network. */
export function healthProberFromArgs(
  engine: EngineClient,
  io: CliIo,
  values: { 'keeper-base'?: string },
): HealthProber {
  return healthProberFor(engine, {
    scriptPath: keeperScriptPath(io),
    baseImage: values['keeper-base'],
  });
}

export function deployEnvironmentFromArgs(
  engine: EngineClient,
  io: CliIo,
  values: { 'keeper-base'?: string; 'engine-socket'?: string },
): DeployEnvironment {
  return nodeDeployEnvironment(engine, io.env, {
    scriptPath: keeperScriptPath(io),
    baseImage: values['keeper-base'],
    engineSocket: values['engine-socket'],
  });
}

/** One progress line per phase and per copy. */
export function promoteProgress(say: (line: string) => void): (e: PromoteEvent) => void {
  return (e) => {
    switch (e.kind) {
      case 'phase':
        return say(`[${e.phase}] ${e.text}`);
      case 'lock-taken-over':
        return say(
          `Took over a stale deploy lock held by ${e.from.user}@${e.from.host} (pid ${e.from.pid}) since ${e.from.since}`,
        );
      case 'leftovers':
        return say(
          `Disposing of ${e.copies.length} leftover cop${e.copies.length === 1 ? 'y' : 'ies'} of an interrupted promote`,
        );
      case 'build':
        if (e.event.kind === 'step')
          say(`  Step ${e.event.step}/${e.event.total} : ${clip(e.event.instruction)}`);
        return;
      case 'print':
        if (e.event.kind === 'started')
          say(`  started copy ${e.event.copy.index} ${e.event.copy.id.slice(0, 12)}`);
        if (e.event.kind === 'healthy')
          say(`  healthy copy ${e.event.copy.index} ${e.event.copy.id.slice(0, 12)}`);
        if (e.event.kind === 'unhealthy')
          say(
            `  unhealthy copy ${e.event.copy.index} ${e.event.copy.id.slice(0, 12)}: ${e.event.copy.reason}`,
          );
        return;
      case 'draining':
        return;
    }
  };
}

/** The result as one JSON object (promote and rollback print the same shape). */
export function promoteJson(r: PromoteResult) {
  return {
    status: r.status,
    name: r.name,
    version: r.version,
    replaced: r.replaced,
    seq: r.record?.seq ?? null,
    imageId: r.record?.imageId ?? null,
    gateway: r.gateway,
    copies: r.copies.map((c) => ({ index: c.index, id: c.id, name: c.name })),
    disposed: r.disposed.map((c) => ({ version: c.version, index: c.index, id: c.id })),
    cutConnections: r.cutConnections,
  };
}

export function promoteSummary(io: CliIo, r: PromoteResult): void {
  if (r.status === 'already-active') {
    io.stdout.write(`${alreadyActiveText(r)}\n`);
    return;
  }
  const verb = r.status === 'rolled-back' ? 'Rolled back' : 'Promoted';
  io.stdout.write(
    `${verb} ${r.name} to ${r.version}${r.replaced ? ` (was ${r.replaced})` : ''}: ` +
      `${r.copies.length} cop${r.copies.length === 1 ? 'y' : 'ies'} serving`,
  );
  io.stdout.write(
    r.gateway
      ? ` at http://${r.gateway.address}:${r.gateway.port}/`
      : ' (no `gateway`: there is no endpoint to move, the copies are reached on their own ports)',
  );
  io.stdout.write(`${r.record ? `; ledger #${r.record.seq}` : ''}.\n`);
  if (r.cutConnections)
    io.stderr.write(
      `${r.cutConnections} connection${r.cutConnections === 1 ? ' was' : 's were'} still open to ${r.replaced} ` +
        `when the drain ended; they were closed with its copies (use --drain to wait longer).\n`,
    );
}

/** Deploy errors → message and exit code; the rest as every engine command reports them. */
export function reportDeployFailure(
  io: CliIo,
  command: string,
  e: unknown,
  loaded?: LoadedMasterCopy,
): number {
  if (e instanceof PromoteError) {
    io.stderr.write(`mastercopy ${command}: ${oneLine(e.message)}\n`);
    for (const u of e.unhealthy) {
      io.stderr.write(`  copy ${u.index} (${u.id.slice(0, 12)}): ${oneLine(u.reason)}\n`);
      io.stderr.write(
        u.lastLogLines.length
          ? `  Its last log lines:\n${u.lastLogLines.map((l) => `    ${oneLine(l)}`).join('\n')}\n`
          : '  Its log is empty.\n',
      );
    }
    io.stderr.write('The green copies were disposed of.\n');
    return EXIT.problems;
  }
  if (
    e instanceof LockedError ||
    e instanceof GatewayPortTakenError ||
    e instanceof RollbackError ||
    e instanceof KeeperError
  ) {
    io.stderr.write(`mastercopy ${command}: ${oneLine(e.message)}\n`);
    return EXIT.problems;
  }
  return reportFailure(io, command, e, loaded);
}

/** A step's instruction on one line of a terminal (the master copy label is long). */
function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}
