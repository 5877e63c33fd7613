// The Swarm target against the Docker CLI, in the same run, on the engine's single-node
// swarm, with the Transaction Service example (fast health: 500 ms interval, 2 retries,
// 1 s start period; host-mode ports: the routing mesh does not work here):
//
// - print: printService of 10 replicas (image up to date) against `docker service create`
//   with the same spec (flags for every field), both waiting until the 10 tasks run;
// - promote: a rolling update of 3 replicas to another version (promoteService: lock,
//   ledger, Swarm's update) against `docker service update --image` with the same update
//   config (start-first, rollback on failure, the same monitor, parallelism 1), both
//   waiting for Swarm to complete it.
//
// Target: within 1.1× of each (median). Everything carries io.mastercopy.bench-run; the
// services go between samples (not timed) and at the end.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { buildMasterCopy } from '../src/core/build/build';
import { forgetLedger } from '../src/core/deploy/ledger';
import { nodeLockDeps } from '../src/core/deploy/nodeDeployEnvironment';
import type { MasterCopy } from '../src/core/mastercopy/model';
import { printService } from '../src/core/swarm/print';
import { promoteService } from '../src/core/swarm/promote';
import { monitorMs, serviceName } from '../src/core/swarm/spec';
import type { Report } from './lib/report';
import { fmtMs, fmtRatio, summarize } from './lib/stats';
import {
  BENCH_LABEL,
  DOCKER_CLI,
  cleanup,
  engineClient,
  ensureEngine,
  exampleVariant,
  exec,
  newRunId,
  rawDocker,
} from './print';

const PRINT_REPLICAS = 10;
const UPDATE_REPLICAS = 3;

function fast(text: string, version: string): string {
  return text
    .replace(/^version: .*$/m, `version: "${version}"`)
    .replace(/^ {2}interval: .*$/m, '  interval: 500ms')
    .replace(/^ {2}retries: .*$/m, '  retries: 2')
    .replace(/^ {2}startPeriod: .*$/m, '  startPeriod: 1s')
    .replace(/^gateway: .*$/m, '');
}

/** `docker service create` flags for the spec printService sends (see src/core/swarm/spec.ts). */
function cliCreateArgs(
  mc: MasterCopy,
  name: string,
  image: string,
  replicas: number,
  network: string,
  labels: string[],
): string[] {
  const h = mc.health!;
  return [
    'service',
    'create',
    '--quiet',
    '--name',
    name,
    '--replicas',
    String(replicas),
    '--read-only',
    '--cap-drop',
    'ALL',
    '--init',
    '--mount',
    'type=tmpfs,dst=/tmp',
    '--limit-memory',
    '64m',
    '--limit-cpu',
    '0.5',
    '--restart-condition',
    'on-failure',
    '--health-cmd',
    `wget -q -O /dev/null http://127.0.0.1:${h.http!.port}${h.http!.path}`,
    '--health-interval',
    '500ms',
    '--health-timeout',
    '1s',
    '--health-retries',
    '2',
    '--health-start-period',
    '1s',
    '--network',
    network,
    '--publish',
    'mode=host,target=8080',
    '--update-order',
    'start-first',
    '--update-failure-action',
    'rollback',
    '--update-monitor',
    `${monitorMs(mc)}ms`,
    '--update-parallelism',
    '1',
    '--rollback-order',
    'start-first',
    '--rollback-monitor',
    `${monitorMs(mc)}ms`,
    ...labels.flatMap((l) => ['--label', l, '--container-label', l]),
    image,
  ];
}

async function removeService(docker: ReturnType<typeof rawDocker>, name: string) {
  await docker
    .getService(name)
    .remove()
    .catch(() => undefined);
  // The tasks' containers are gone before the next sample starts.
  for (let i = 0; i < 200; i++) {
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.swarm.service.name=${name}`] },
    });
    if (!left.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function run(report: Report): Promise<void> {
  await ensureEngine(report.root);
  const runId = newRunId();
  const labels = { [BENCH_LABEL]: runId };
  const engine = engineClient();
  const docker = rawDocker();
  const tempDirs: string[] = [];
  const samples = report.options.samples ?? (report.options.quick ? 2 : 5);
  const name = `mc-bench-swarm-${runId}`;
  const cliName = `mc-bench-swarm-cli-${runId}`;
  const cliNetwork = `mc-bench-swarm-cli-${runId}`;
  try {
    const versions = Array.from({ length: samples + 1 }, (_, i) => `1.0.${i}`);
    const variants = versions.map((v) =>
      exampleVariant(report.root, name, tempDirs, (t) => fast(t, v)),
    );
    for (const v of variants)
      await buildMasterCopy(engine, v.mc, v.folder, { extraLabels: labels });
    await docker.createNetwork({
      Name: cliNetwork,
      Driver: 'overlay',
      Attachable: true,
      Labels: labels,
    });
    const v0 = variants[0];
    const opts = {
      env: {},
      readFile: (p: string) => readFile(p, 'utf8'),
      publishMode: 'host' as const,
      extraLabels: labels,
    };

    // Print 10 replicas.
    const times = { ours: [] as number[], cli: [] as number[] };
    for (let i = 0; i < samples; i++) {
      let t0 = performance.now();
      const printed = await printService(engine, v0.mc, v0.folder, {
        ...opts,
        copies: PRINT_REPLICAS,
      });
      times.ours.push(performance.now() - t0);
      report.check(
        `print sample ${i}: ${PRINT_REPLICAS} running`,
        printed.running.length === PRINT_REPLICAS,
      );
      await removeService(docker, serviceName(name));
      t0 = performance.now();
      await exec(
        DOCKER_CLI,
        cliCreateArgs(v0.mc, cliName, `${name}:${versions[0]}`, PRINT_REPLICAS, cliNetwork, [
          `${BENCH_LABEL}=${runId}`,
        ]),
        { timeout: 180_000 },
      );
      times.cli.push(performance.now() - t0);
      await removeService(docker, cliName);
    }
    const po = summarize(times.ours);
    const pc = summarize(times.cli);

    // Rolling updates of 3 replicas.
    const deploy = {
      who: { user: 'bench', host: 'bench', pid: process.pid },
      lock: nodeLockDeps(),
      git: async () => null,
      env: {},
      readFile: (p: string) => readFile(p, 'utf8'),
      extraLabels: labels,
    };
    await promoteService(engine, { kind: 'file', ...v0 }, deploy, {
      copies: UPDATE_REPLICAS,
      publishMode: 'host',
    });
    await exec(
      DOCKER_CLI,
      cliCreateArgs(v0.mc, cliName, `${name}:${versions[0]}`, UPDATE_REPLICAS, cliNetwork, [
        `${BENCH_LABEL}=${runId}`,
      ]),
      { timeout: 180_000 },
    );
    const updates = { ours: [] as number[], cli: [] as number[] };
    for (let i = 1; i <= samples; i++) {
      let t0 = performance.now();
      const r = await promoteService(engine, { kind: 'file', ...variants[i] }, deploy, {
        publishMode: 'host',
      });
      updates.ours.push(performance.now() - t0);
      report.check(`update sample ${i}: promoted`, r.status === 'promoted');
      t0 = performance.now();
      await exec(
        DOCKER_CLI,
        ['service', 'update', '--quiet', '--image', `${name}:${versions[i]}`, cliName],
        { timeout: 300_000 },
      );
      updates.cli.push(performance.now() - t0);
    }
    const uo = summarize(updates.ours);
    const uc = summarize(updates.cli);

    report.heading(
      `Swarm target: print ${PRINT_REPLICAS} replicas and a rolling update of ${UPDATE_REPLICAS}, ${samples} samples each`,
    );
    report.table(
      ['case', 'median ms', 'p90 ms', 'ratio (median)'],
      [
        [
          `docker service create, ${PRINT_REPLICAS} replicas (waits for them)`,
          fmtMs(pc.median),
          fmtMs(pc.p90),
          '1.0×',
        ],
        [
          `mastercopy print --target swarm (printService)`,
          fmtMs(po.median),
          fmtMs(po.p90),
          fmtRatio(po.median / pc.median),
        ],
        [
          `docker service update --image, ${UPDATE_REPLICAS} replicas`,
          fmtMs(uc.median),
          fmtMs(uc.p90),
          '1.0×',
        ],
        [
          `mastercopy promote --target swarm (promoteService)`,
          fmtMs(uo.median),
          fmtMs(uo.p90),
          fmtRatio(uo.median / uc.median),
        ],
      ],
    );
    report.value('swarm_print_ratio', Number((po.median / pc.median).toFixed(2)));
    report.value('swarm_update_ratio', Number((uo.median / uc.median).toFixed(2)));
    report.line(
      `Target: within 1.1× of each. Print: ${po.median / pc.median <= 1.1 ? 'met' : 'missed'}; ` +
        `rolling update: ${uo.median / uc.median <= 1.1 ? 'met' : 'missed'}.`,
    );
  } finally {
    await removeService(docker, serviceName(name));
    await removeService(docker, cliName);
    for (const s of await docker.listSecrets({ filters: { label: [`${BENCH_LABEL}=${runId}`] } }))
      await docker
        .getSecret(s.ID)
        .remove()
        .catch(() => undefined);
    await forgetLedger(engine, name).catch(() => undefined);
    await cleanup(docker, runId);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
}
