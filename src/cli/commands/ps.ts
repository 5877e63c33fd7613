import { listCopies, type CopyRecord } from '../../core/copies/ps';
import { nodeHttpProbe } from '../../core/copies/health';
import { isLocalEngine } from '../../core/engine/hostResolution';
import {
  clockTime,
  decisionText,
  healingText,
  readDeployOverviews,
  type DeployOverview,
} from '../../core/deploy/overview';
import { autoscaleText } from '../../core/keeper/autoscaler';
import { EXIT, UsageError, type CliCommand } from '../command';
import { isSwarmTarget, swarmPs, TARGET_HELP, TARGET_OPTIONS } from '../swarmTarget';
import { oneLine } from '../terminalText';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  masterCopyNameArg,
  parseCommandArgs,
  reportFailure,
  withCancel,
  writeJson,
} from '../engineFromArgs';

export const psCommand: CliCommand = {
  name: 'ps',
  summary: 'list the copies: master copy, version, index, state, health, ports, digest',
  help: `Usage: mastercopy ps [--json] [--no-probe] [--host HOST] [FILE|NAME]

Lists the copies Master Copy printed (every master copy, or only FILE's or NAME's),
sorted by name, version and index. Copies checked over HTTP (\`health.http\`) are
probed once each, through their published port, to tell their health (only with
a local engine: their ports listen on the engine host's 127.0.0.1). Then, for each
master copy behind a keeper: healthy of desired copies, what the keeper is doing
(replacing copies, backing off from a crash loop), its last replacement and, with
\`autoscale\`, its last scaling decision (\`mastercopy gateway NAME --json\` has them all).

With --json, a stable JSON array; each copy is
  {
    "name": "transaction-service",     master copy name
    "version": "1.0.0",
    "index": 0,                         the copy's index among its version's copies
    "id": "<64 hex>", "shortId": "<12 hex>",
    "state": "running",                 created|running|paused|restarting|removing|exited|dead
    "health": "healthy",                healthy|unhealthy|starting|none
    "ports": [{"container": 8080, "protocol": "tcp", "host": 32768, "hostIp": "127.0.0.1"}],
    "image": "transaction-service:1.0.0",
    "digest": "sha256:…",               the copy's io.mastercopy.digest (or null)
    "digestMatches": true               the image NAME:VERSION still has that digest
  }
"host" and "hostIp" are null while a port is not published (a stopped copy).

Options:
      --json       the JSON array above on stdout
      --no-probe   do not probe health.http copies (their health shows as none)
${HOST_HELP}
${TARGET_HELP}
On the Swarm target the copies are the tasks of each master copy's service: index = the
task's slot, its state as Swarm says (starting until healthy), its node; --json gives
[{name, version, index, id, shortId, containerId, state, desiredState, node, image,
ports: [{container, protocol, host, mode}], message, error}].

Exit codes: 0 listed (also when there are none), 1 FILE has errors, 2 usage error
or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      'no-probe': { type: 'boolean', default: false },
      ...HOST_OPTION,
      ...TARGET_OPTIONS,
    });
    const swarm = isSwarmTarget(values, io);
    if (positionals.length > 1) throw new UsageError('give at most one master copy file or name');
    const name = masterCopyNameArg(io, 'ps', positionals[0]);
    if (typeof name === 'number') return name;
    if (swarm) return swarmPs(io, name, values);
    let copies: CopyRecord[];
    let kept: DeployOverview[] = [];
    try {
      const engine = engineFromArgs(values.host, io);
      // Ports are published on the engine's 127.0.0.1: reachable from here only when the engine is local.
      const local = isLocalEngine(engine.endpoint);
      copies = await withCancel((signal) =>
        listCopies(engine, {
          name,
          signal,
          probe: values['no-probe'] || !local ? undefined : nodeHttpProbe,
        }),
      );
      if (!values.json)
        kept = [
          ...(await withCancel((signal) => readDeployOverviews(engine, { signal }))).values(),
        ].filter((o) => (!name || o.name === name) && o.endpoint?.healing);
    } catch (e) {
      return reportFailure(io, 'ps', e);
    }
    if (values.json) writeJson(io, copies);
    else io.stdout.write(table(copies, name) + keptLines(kept));
    return EXIT.ok;
  },
};

/** What each keeper keeps: desired and actual, its last replacement, its last scaling decision. */
function keptLines(kept: DeployOverview[]): string {
  const lines: string[] = [];
  for (const o of kept.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const h = o.endpoint!.healing!;
    lines.push(`${o.name} ${h.version}: ${healingText(h)}`);
    const replaced = h.events
      .filter((e) => /\(replaces copy \d+: |never became healthy|could not print/.test(e.text))
      .at(-1);
    if (replaced) lines.push(`  last replacement: ${replaced.text} · ${clockTime(replaced.at)}`);
    const a = o.endpoint!.autoscale;
    const last = a?.decisions.filter((d) => d.version === a.version).at(-1);
    if (a)
      lines.push(
        `  autoscaled ${autoscaleText(a.policy)}${last ? `; last: ${decisionText(last)}` : ''}`,
      );
  }
  return lines.length
    ? `\nKept by their keepers:\n${lines.map((l) => `  ${oneLine(l)}`).join('\n')}\n`
    : '';
}

function table(copies: CopyRecord[], name: string | undefined): string {
  if (copies.length === 0) return name ? `No copies of ${oneLine(name)}.\n` : 'No copies.\n';
  const rows = [
    ['NAME', 'VERSION', 'COPY', 'ID', 'STATE', 'HEALTH', 'PORTS', 'DIGEST'],
    ...copies.map((c) => [
      c.name,
      c.version,
      String(c.index),
      c.shortId,
      c.state,
      c.health,
      c.ports
        .map((p) =>
          p.host !== null
            ? `${p.hostIp ?? '0.0.0.0'}:${p.host}->${p.container}/${p.protocol}`
            : `${p.container}/${p.protocol}`,
        )
        .join(', ') || '-',
      c.digest === null
        ? '-'
        : `${c.digest.replace(/^sha256:/, '').slice(0, 12)}${c.digestMatches ? '' : imageNote(c)}`,
    ]),
  ];
  // Names and versions come from labels, which anything on the engine can set.
  for (const r of rows) r.forEach((cell, i) => (r[i] = oneLine(cell)));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows
      .map((r) =>
        r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '),
      )
      .join('\n') + '\n'
  );
}

/** Why a copy's digest does not match: NAME:VERSION names another image, or none (the engine then lists the copy's image by id). */
function imageNote(c: CopyRecord): string {
  return /^sha256:[0-9a-f]+$/.test(c.image)
    ? ' (image gone: print builds it again)'
    : ' (image changed)';
}
