// Printing benchmark (with refresh.ts, the `copies` benchmark): `printCopies` of N copies of the Transaction Service example,
// side by side in one run with
//  - raw:  the engine API called directly from this process with dockerode, N
//          create+start requests in parallel (Promise.all) carrying the very same
//          container spec (copyContainerSpec) — the floor: the engine's own time;
//  - loop: N `docker run -d` commands with the equivalent flags, one after another
//          (child_process.execFile), as shell scripts and CLI-based extensions do.
//
// Ours is measured with the image already built (printCopies finds it up to date) and on
// a variant of the example without `health`, so all three stop when the containers are
// started. The same print with the health wait is measured too, on its own row.
//
// Everything this run creates carries `io.mastercopy.bench-run=<run id>`; containers are
// removed between samples (not timed), and everything (containers, networks, images) at
// the end, also when the run fails.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { printCopies, type PrintEvent } from '../src/core/copies/print';
import { copyContainerSpec, networkName } from '../src/core/copies/spec';
import {
  containerCreateOptions,
  createEngineClient,
} from '../src/core/engine/DockerodeEngineClient';
import type { ContainerSpec, EngineClient } from '../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../src/core/engine/hostResolution';
import { LABEL_MANAGED, MANAGED_VALUE } from '../src/core/engine/labels';
import { nodeFileAccess } from '../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../src/core/mastercopy/model';
import { validateText } from '../src/core/mastercopy/validator';
import type { Report } from './lib/report';
import { run as runRefresh } from './refresh';
import { fmtMs, fmtRatio, summarize, type Summary } from './lib/stats';

export const ENGINE_HOST = 'unix:///var/run/docker.sock';
const SOCKET = '/var/run/docker.sock';
/** The Debian package's client, which matches the engine; an older one may be first on PATH. */
export const DOCKER_CLI = '/usr/bin/docker';
export const BENCH_LABEL = 'io.mastercopy.bench-run';

export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export function exec(
  file: string,
  args: string[],
  options: { cwd?: string; timeout?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        timeout: options.timeout ?? 120_000,
        env: { ...process.env, DOCKER_HOST: ENGINE_HOST },
      },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** scripts/setup-engine.sh: the engine answers and busybox:stable is there. */
export async function ensureEngine(root: string): Promise<void> {
  await exec('bash', ['scripts/setup-engine.sh'], { cwd: root, timeout: 300_000 });
}

export function rawDocker(): Dockerode {
  const Docker = require('dockerode') as typeof Dockerode;
  return new Docker({ socketPath: SOCKET });
}

export function engineClient(): EngineClient {
  return createEngineClient(resolveEngineHost(ENGINE_HOST, nodeHostResolutionDeps()));
}

/** The example copied to a fresh temp folder, renamed, optionally edited, validated like the CLI does. */
export function exampleVariant(
  root: string,
  name: string,
  tempDirs: string[],
  edit: (text: string) => string = (t) => t,
): { mc: MasterCopy; folder: string } {
  const folder = mkdtempSync(join(tmpdir(), `${name}-`));
  tempDirs.push(folder);
  cpSync(join(root, 'examples/transaction-service'), folder, { recursive: true });
  const file = join(folder, 'transaction-service.mastercopy.yaml');
  const original = readFileSync(file, 'utf8');
  const renamed = original.replace(/^name: transaction-service$/m, `name: ${name}`);
  if (renamed === original)
    throw new Error('bench: the example no longer has the line `name: transaction-service`');
  const text = edit(renamed);
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  if (!result.masterCopy)
    throw new Error(
      `bench: the example variant does not validate: ${result.diagnostics.map((d) => d.message).join('; ')}`,
    );
  return { mc: result.masterCopy, folder };
}

/** The example without its `health:` block (so a print ends when its copies are started). */
export function withoutHealth(text: string): string {
  const out = text.replace(/^health:\n(?:[ \t]+.*\n)+/m, '');
  if (out === text) throw new Error('bench: no `health:` block found in the example');
  return out;
}

/** Removes this run's containers (force), in parallel. */
export async function removeContainers(docker: Dockerode, runId: string): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${BENCH_LABEL}=${runId}`] },
  });
  await Promise.all(
    list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(ignoreNotFound)),
  );
  return list.length;
}

/** Removes everything this run labelled; if the engine is away (restarted by someone), waits up to 2 minutes for it. */
export async function cleanup(docker: Dockerode, runId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await removeAll(docker, runId);
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        console.error(
          `bench: cleanup of ${BENCH_LABEL}=${runId} failed: ${(e as Error).message}; remove what carries that label by hand`,
        );
        return;
      }
      await sleep(2000);
    }
  }
}

/** Removes everything this run labelled: containers, networks, images. */
export async function removeAll(docker: Dockerode, runId: string): Promise<void> {
  const filters = { label: [`${BENCH_LABEL}=${runId}`] };
  await removeContainers(docker, runId);
  for (const n of await docker.listNetworks({ filters }))
    await docker.getNetwork(n.Id).remove().catch(ignoreNotFound);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
    await docker.getVolume(v.Name).remove().catch(ignoreNotFound);
  for (const i of await docker.listImages({ filters }))
    await docker.getImage(i.Id).remove({ force: true }).catch(ignoreNotFound);
}

function ignoreNotFound(e: unknown): void {
  if ((e as { statusCode?: number }).statusCode !== 404) throw e;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `docker run -d` arguments equivalent to a spec. */
function runArgs(spec: ContainerSpec): string[] {
  const args = ['run', '-d', '--name', spec.name ?? ''];
  for (const [k, v] of Object.entries({ ...spec.labels, [LABEL_MANAGED]: MANAGED_VALUE }))
    args.push('--label', `${k}=${v}`);
  if (spec.readOnly ?? true) args.push('--read-only');
  for (const c of spec.capDrop ?? []) args.push('--cap-drop', c);
  for (const c of spec.capAdd ?? []) args.push('--cap-add', c);
  if (spec.noNewPrivileges ?? true) args.push('--security-opt', 'no-new-privileges');
  for (const t of spec.tmpfs ?? []) args.push('--tmpfs', t);
  if (spec.memoryBytes !== undefined) args.push('--memory', String(spec.memoryBytes));
  if (spec.cpus !== undefined) args.push('--cpus', String(spec.cpus));
  if (spec.restart && spec.restart !== 'no') args.push('--restart', spec.restart);
  if (spec.init) args.push('--init');
  for (const p of spec.ports ?? [])
    args.push('-p', `${p.hostIp ?? ''}:${p.hostPort ?? ''}:${p.containerPort}/${p.protocol}`);
  args.push('--network', spec.network ?? 'bridge');
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('-e', `${k}=${v}`);
  args.push(spec.image);
  return args;
}

/** The hardening-relevant parts of a container, for comparing the three methods' containers. */
function hardening(info: Dockerode.ContainerInspectInfo): string {
  const h = info.HostConfig as Dockerode.HostConfig & { Init?: boolean };
  return JSON.stringify({
    image: info.Config.Image,
    readOnly: h.ReadonlyRootfs,
    capDrop: h.CapDrop,
    capAdd: h.CapAdd ?? [],
    // `docker run --security-opt no-new-privileges` and the API's `no-new-privileges:true` are the same option.
    noNewPrivileges: (h.SecurityOpt ?? []).some((o: string) =>
      /^no-new-privileges(:true)?$/.test(o),
    ),
    tmpfs: Object.keys(h.Tmpfs ?? {}),
    memory: h.Memory,
    nanoCpus: h.NanoCpus,
    restart: h.RestartPolicy?.Name,
    init: h.Init,
    network: h.NetworkMode,
    ports: Object.fromEntries(
      Object.entries(h.PortBindings ?? {}).map(([k, v]) => [
        k,
        (v as { HostIp: string; HostPort: string }[]).map((b) => `${b.HostIp}:${b.HostPort || ''}`),
      ]),
    ),
    user: info.Config.User,
    cmd: info.Config.Cmd,
    running: info.State.Running,
  });
}

type Method = 'ours' | 'raw' | 'loop';
const METHODS: Method[] = ['ours', 'raw', 'loop'];
/** Sample r runs the methods in PERMS[r % 6]: every method in every position equally often. */
const PERMS: Method[][] = [
  ['ours', 'raw', 'loop'],
  ['raw', 'loop', 'ours'],
  ['loop', 'ours', 'raw'],
  ['loop', 'raw', 'ours'],
  ['raw', 'ours', 'loop'],
  ['ours', 'loop', 'raw'],
];

/**
 * The `copies` benchmark: printing (this file), then the Copies view refresh (refresh.ts).
 * MC_BENCH_COPIES=print or =refresh runs one of the two.
 */
export async function run(report: Report): Promise<void> {
  const only = process.env.MC_BENCH_COPIES;
  if (only !== undefined && only !== 'print' && only !== 'refresh')
    throw new Error('bench: MC_BENCH_COPIES is print or refresh');
  if (only !== 'refresh') await runPrint(report);
  if (only !== 'print') await runRefresh(report);
}

async function runPrint(report: Report): Promise<void> {
  const samples = report.options.samples ?? (report.options.quick ? 2 : 6);
  const healthSamples = report.options.quick ? 1 : 3;
  const counts = [10, 20];
  const runId = newRunId();
  const runLabels = { [BENCH_LABEL]: runId };
  const tempDirs: string[] = [];

  await ensureEngine(report.root);
  const cliVersion = (
    await exec(DOCKER_CLI, [
      'version',
      '--format',
      '{{.Client.Version}} / engine {{.Server.Version}}, API {{.Server.APIVersion}}',
    ])
  ).trim();
  const docker = rawDocker();
  const engine = engineClient();

  try {
    const name = `mcb-${runId}`;
    const plain = exampleVariant(report.root, name, tempDirs, withoutHealth);
    const healthy = exampleVariant(report.root, `${name}-h`, tempDirs);
    const printOptions = {
      env: {},
      readFile: (p: string) => readFile(p, 'utf8'),
      extraLabels: runLabels,
    };

    report.heading(
      'Printing copies: printCopies vs the raw engine API in parallel vs a `docker run -d` loop',
    );
    report.line(
      `Docker client ${DOCKER_CLI} ${cliVersion}. Run label ${BENCH_LABEL}=${runId}. Load average at the start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (${cpus().length} cores).`,
    );

    // --- not timed: build both images, create the network (a first print of one copy each) ---
    const t0 = performance.now();
    const first = await printCopies(engine, plain.mc, plain.folder, { ...printOptions, copies: 1 });
    const firstHealthy = await printCopies(engine, healthy.mc, healthy.folder, {
      ...printOptions,
      copies: 1,
    });
    report.line(
      `Set-up (not timed): built ${first.build.tag} and ${firstHealthy.build.tag}, ` +
        `network ${first.network}, in ${fmtMs(performance.now() - t0)} ms.`,
    );
    report.check(
      'the images were built in the set-up (so the timed prints find them up to date)',
      first.build.status === 'built' && firstHealthy.build.status === 'built',
    );
    const imageTag = first.build.tag;
    const network = networkName(plain.mc.name);
    await removeContainers(docker, runId);

    // The specs the raw API and the loop use: exactly what printCopies asks the engine for.
    const specs = (n: number) =>
      Array.from({ length: n }, (_, index) =>
        copyContainerSpec(plain.mc, {
          image: imageTag,
          digest: first.build.digest,
          index,
          network,
          extraLabels: runLabels,
        }),
      );
    const sampleArgs = runArgs(specs(1)[0]);
    report.line(
      `The loop runs, per copy: docker ${sampleArgs.map((a) => (/[\s=]/.test(a) && !a.startsWith('--') ? `'${a}'` : a)).join(' ')}`,
    );

    const methods: Record<
      Method,
      (n: number) => Promise<{ ids: string[]; phases?: Record<string, number> }>
    > = {
      ours: async (n) => {
        const marks: Record<string, number> = {};
        const start = performance.now();
        const onProgress = (e: PrintEvent) => {
          const now = performance.now() - start;
          if (e.kind === 'built') marks.built = now;
          if (e.kind === 'starting') marks.starting = now;
          if (e.kind === 'started') marks.lastStarted = now;
        };
        const r = await printCopies(engine, plain.mc, plain.folder, {
          ...printOptions,
          copies: n,
          onProgress,
        });
        if (r.build.status !== 'up-to-date')
          throw new Error(`bench: the timed print built the image (${r.build.status})`);
        return { ids: r.copies.map((c) => c.id), phases: marks };
      },
      raw: async (n) => {
        const ids = await Promise.all(
          specs(n).map(async (spec) => {
            const c = await docker.createContainer(containerCreateOptions(spec));
            await c.start();
            return c.id;
          }),
        );
        return { ids };
      },
      loop: async (n) => {
        const ids: string[] = [];
        for (const spec of specs(n)) ids.push((await exec(DOCKER_CLI, runArgs(spec))).trim());
        return { ids };
      },
    };

    // --- correctness, not timed: each method makes the same hardened, running containers ---
    const shapes: Partial<Record<Method, string>> = {};
    for (const m of METHODS) {
      const { ids } = await methods[m](2);
      const infos = await Promise.all(ids.map((id) => docker.getContainer(id).inspect()));
      shapes[m] = hardening(infos[0]);
      report.check(
        `${m}: 2 containers created, both running, on ${network}`,
        infos.length === 2 &&
          infos.every((i) => i.State.Running && i.HostConfig.NetworkMode === network),
      );
      await removeContainers(docker, runId);
    }
    report.check(
      'ours, raw and loop containers have the same image, hardening, limits, restart policy, init, ports, network, user and command',
      shapes.ours === shapes.raw && shapes.ours === shapes.loop,
      JSON.stringify(shapes),
    );

    // --- timed ---
    const times: Record<number, Record<Method, number[]>> = {};
    const oursPhases: Record<number, { prep: number[]; start: number[] }> = {};
    let allStarted = true;
    let leftovers = 0;
    for (const n of counts) {
      times[n] = { ours: [], raw: [], loop: [] };
      oursPhases[n] = { prep: [], start: [] };
      for (let r = 0; r < samples; r++) {
        for (const m of PERMS[r % PERMS.length]) {
          await sleep(300); // let the engine settle after the removals
          const t = performance.now();
          const { ids, phases } = await methods[m](n);
          const ms = performance.now() - t;
          times[n][m].push(ms);
          if (phases) {
            oursPhases[n].prep.push(phases.starting);
            oursPhases[n].start.push(phases.lastStarted - phases.starting);
          }
          if (ids.length !== n) allStarted = false;
          const listed = await docker.listContainers({
            filters: { label: [`${BENCH_LABEL}=${runId}`], status: ['running'] },
          });
          if (listed.length !== n) allStarted = false;
          await removeContainers(docker, runId);
          leftovers += (
            await docker.listContainers({
              all: true,
              filters: { label: [`${BENCH_LABEL}=${runId}`] },
            })
          ).length;
        }
      }
    }
    report.check('every timed sample left exactly N running containers', allStarted);
    report.check('every sample was removed before the next one', leftovers === 0);
    report.line(
      `Load average after the timed samples: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}.`,
    );

    // --- tables ---
    const rows: (string | number)[][] = [];
    for (const n of counts) {
      const s: Record<Method, Summary> = {
        ours: summarize(times[n].ours),
        raw: summarize(times[n].raw),
        loop: summarize(times[n].loop),
      };
      const oursRaw = s.ours.median / s.raw.median;
      const loopOurs = s.loop.median / s.ours.median;
      // Per round (the three methods back to back), then the median: steadier on a busy machine.
      const paired = (a: number[], b: number[]) => summarize(a.map((x, i) => x / b[i])).median;
      const pairedOursRaw = paired(times[n].ours, times[n].raw);
      const pairedLoopOurs = paired(times[n].loop, times[n].ours);
      const verdicts = [`ours/raw ≤ 1.15× — ${oursRaw <= 1.15 ? 'met' : 'NOT met'}`];
      if (n === 20) verdicts.push(`loop/ours ≥ 1.5× — ${loopOurs >= 1.5 ? 'met' : 'NOT met'}`);
      rows.push([
        String(n),
        fmtMs(s.raw.median),
        fmtMs(s.ours.median),
        fmtMs(s.loop.median),
        `${fmtMs(s.raw.min)}–${fmtMs(Math.max(...times[n].raw))}`,
        `${fmtMs(s.ours.min)}–${fmtMs(Math.max(...times[n].ours))}`,
        `${fmtMs(s.loop.min)}–${fmtMs(Math.max(...times[n].loop))}`,
        `${oursRaw.toFixed(2)}×`,
        `${pairedOursRaw.toFixed(2)}×`,
        fmtRatio(loopOurs),
        fmtRatio(pairedLoopOurs),
        verdicts.join('; '),
      ]);
      report.value(`n${n}.raw.median`, s.raw.median);
      report.value(`n${n}.ours.median`, s.ours.median);
      report.value(`n${n}.loop.median`, s.loop.median);
      report.value(`n${n}.ratio.oursRaw`, oursRaw);
      report.value(`n${n}.ratio.loopOurs`, loopOurs);
      report.value(`n${n}.ratio.oursRaw.paired`, pairedOursRaw);
      report.value(`n${n}.ratio.loopOurs.paired`, pairedLoopOurs);
    }
    report.line(
      `Samples: ${samples} per method and N, the three methods alternating order ` +
        '(every method in every position equally often); containers removed between samples, not timed.',
    );
    report.table(
      [
        'N',
        'raw median ms',
        'ours median ms',
        'loop median ms',
        'raw min–max',
        'ours min–max',
        'loop min–max',
        'ours/raw',
        'ours/raw per round (median)',
        'loop/ours',
        'loop/ours per round (median)',
        'target (on the medians)',
      ],
      rows,
    );

    const phaseRows = counts.map((n) => {
      const prep = summarize(oursPhases[n].prep);
      const start = summarize(oursPhases[n].start);
      const total = summarize(times[n].ours);
      return [
        String(n),
        fmtMs(total.median),
        fmtMs(prep.median),
        fmtMs(start.median),
        fmtMs(summarize(times[n].raw).median),
      ];
    });
    report.line(
      'Where our time goes (medians): before the first create request (secrets, list existing copies, ' +
        'build plan + digest of the sources, image inspect, network check), ' +
        'then create+start+inspect of the N copies in parallel.',
    );
    report.table(
      [
        'N',
        'ours total ms',
        'of which before starting ms',
        'of which starting N ms',
        'raw (create+start) ms',
      ],
      phaseRows,
    );

    // --- with the health wait (ours only; informational) ---
    const withHealth: Record<number, number[]> = {};
    let allHealthy = true;
    for (const n of counts) {
      withHealth[n] = [];
      for (let r = 0; r < healthSamples; r++) {
        await sleep(300);
        const t = performance.now();
        const res = await printCopies(engine, healthy.mc, healthy.folder, {
          ...printOptions,
          copies: n,
        });
        withHealth[n].push(performance.now() - t);
        if (res.unhealthy.length || res.copies.length !== n || !res.healthChecked)
          allHealthy = false;
        await removeContainers(docker, runId);
      }
    }
    report.check('with health: every copy became healthy', allHealthy);

    // --- cost of loading dockerode in a fresh process (the raw floor's start-up, once) ---
    const requireMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await exec(
        process.execPath,
        ['-e', "const t=performance.now(); require('dockerode'); console.log(performance.now()-t)"],
        { cwd: report.root },
      );
      requireMs.push(Number(out.trim()));
    }

    report.line(
      'With the health wait (ours only, the example as it is: health.http /health every 2s): ' +
        counts
          .map(
            (n) =>
              `N=${n}: median ${fmtMs(summarize(withHealth[n]).median)} ms over ${withHealth[n].length}`,
          )
          .join('; ') +
        '.',
    );
    report.line(
      'Loading dockerode in a fresh Node process (not in the raw times above, where it is loaded already): ' +
        `median ${fmtMs(summarize(requireMs).median)} ms over ${requireMs.length}.`,
    );
    for (const n of counts)
      report.value(`n${n}.withHealth.median`, summarize(withHealth[n]).median);
    report.value('requireDockerode.median', summarize(requireMs).median);
  } finally {
    await cleanup(docker, runId);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
}
