import { activeVersion, readLedger } from '../../core/deploy/ledger';
import { shortTime } from '../../core/deploy/overview';
import { autoscaleText } from '../../core/keeper/autoscaler';
import { findKeeper, keeperControl, LABEL_GATEWAY } from '../../core/keeper/keeperContainer';
import { EXIT, UsageError, type CliCommand } from '../command';
import { oneLine } from '../terminalText';
import {
  HOST_HELP,
  HOST_OPTION,
  engineFromArgs,
  parseCommandArgs,
  writeJson,
} from '../engineFromArgs';
import { reportDeployFailure } from '../deployFromArgs';

export const gatewayCommand: CliCommand = {
  name: 'gateway',
  summary:
    'the stable endpoint of a master copy: address, active version, copies served, connections',
  help: `Usage: mastercopy gateway [--json] [--host HOST] NAME

Asks the keeper of master copy NAME (through the engine, so this works for a remote
engine too) what its endpoint serves: the address, the active version, each copy it
forwards to with its open connections and connections served, and the totals; then the
copies it keeps: how many are healthy of how many are desired, and what it did last
(replaced a copy that died, backed off from a crash loop); with \`autoscale\`, its policy,
what the targets ask for now and its last decisions (a dry run's too, marked "would").

Options:
      --json   print {name, address, port, targetPort, active, state, copies: [{id, version,
               index, address, healthy, open, served}], totals: {open, served, replayed,
               failed}, healing: {version, desired, healthy, actual, state, reason?,
               failures, events: [{at, text}]}, autoscale: {version, policy, desired,
               serving, recommended, reading: {serving, open, cpu?}, waiting?, decisions:
               [{version, at, from, to, reason, applied}]}|null}
${HOST_HELP}

Exit codes: 0 shown, 1 NAME has no endpoint (never promoted with \`gateway\`) or its keeper
is not running, 2 usage error or engine not reachable.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean', default: false },
      ...HOST_OPTION,
    });
    if (positionals.length !== 1) throw new UsageError('name one master copy (its name)');
    const name = positionals[0];
    try {
      const engine = engineFromArgs(values.host, io);
      const keeper = await findKeeper(engine, name);
      if (!keeper) {
        const active = activeVersion(await readLedger(engine, name));
        io.stderr.write(
          `mastercopy gateway: ${name} has no endpoint on this engine` +
            `${active ? ` (${active.version} is active, promoted without \`gateway\`)` : ''}` +
            `: promote a master copy that has \`gateway\` (mastercopy promote FILE).\n`,
        );
        return EXIT.problems;
      }
      const port = Number(keeper.labels[LABEL_GATEWAY]?.split(' ')[0]);
      const published = keeper.ports.find((p) => p.containerPort === port);
      const address = published?.hostIp ?? '127.0.0.1';
      if (keeper.status !== 'running') {
        if (values.json)
          writeJson(io, {
            name,
            address,
            port,
            active: null,
            state: keeper.status,
            copies: [],
            totals: null,
          });
        else
          io.stderr.write(
            `mastercopy gateway: the keeper of ${name} is ${keeper.status}, so ${address}:${port} does not answer. ` +
              `\`mastercopy promote FILE\` starts it again.\n`,
          );
        return EXIT.problems;
      }
      const report = await keeperControl(engine, keeper.id, ['status']);
      if (values.json) {
        writeJson(io, {
          name,
          address,
          port,
          targetPort: report.targetPort,
          active: report.active,
          state: 'running',
          copies: report.copies,
          totals: report.totals,
          healing: report.healing ?? null,
          autoscale: report.autoscale ?? null,
        });
        return EXIT.ok;
      }
      const serving = report.copies.filter((c) => c.version === report.active);
      const healthyCount = serving.filter((c) => c.healthy).length;
      const activeText = report.active
        ? `${report.active} (${healthyCount} of ${serving.length} cop${serving.length === 1 ? 'y' : 'ies'} healthy)`
        : 'no active version yet';
      io.stdout.write(
        `${name}: http://${address}:${port}/ → port ${report.targetPort} of ${activeText}\n`,
      );
      for (const c of report.copies) {
        const role = c.version === report.active ? 'serving' : 'not served';
        io.stdout.write(
          `  ${oneLine(c.version)} copy ${c.index}  ${c.id.slice(0, 12)}  ${oneLine(c.address)}  ` +
            `${c.healthy ? 'healthy' : 'unhealthy'}  ${role}  open ${c.open}  served ${c.served}\n`,
        );
      }
      io.stdout.write(
        `Totals: ${report.totals.open} open, ${report.totals.served} served, ` +
          `${report.totals.replayed ?? 0} replayed on another copy, ${report.totals.failed} failed\n`,
      );
      const h = report.healing;
      if (h?.version) {
        io.stdout.write(
          `Copies of ${h.version}: ${h.healthy} healthy of ${h.desired} desired (${h.actual} in all) ` +
            `— ${h.state}${h.reason ? `: ${h.reason}` : ''}\n`,
        );
        for (const e of h.events.slice(-5))
          io.stdout.write(`  ${shortTime(e.at)}  ${oneLine(e.text)}\n`);
      }
      const a = report.autoscale;
      if (a) {
        io.stdout.write(
          `Autoscale ${oneLine(a.version)}: ${autoscaleText(a.policy)}; ${a.desired} desired, ${a.serving} serving, ` +
            `the targets ask for ${a.recommended}${a.waiting ? ` (${oneLine(a.waiting)})` : ''}\n`,
        );
        for (const d of a.decisions.slice(-5))
          io.stdout.write(
            `  ${shortTime(d.at)}  ${d.applied ? '' : 'would scale '}${oneLine(d.version)} ${oneLine(d.reason)}\n`,
          );
      }
      return EXIT.ok;
    } catch (e) {
      return reportDeployFailure(io, 'gateway', e);
    }
  },
};
