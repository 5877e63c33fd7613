// Log tails against a real engine: exact content and order of a copy's output (ANSI
// colour, stderr, UTF-8), --tail through the CLI, and following across a restart of the
// copy, a restart of the engine, and a scale-up. Everything carries this run's label.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeCopies } from '../../src/core/copies/dispose';
import { printCopies } from '../../src/core/copies/print';
import { scaleCopies } from '../../src/core/copies/scale';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { ContainerSpec, EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_COPY, LABEL_NAME, LABEL_VERSION } from '../../src/core/engine/labels';
import { followLogs, type LogFollower } from '../../src/core/logs/LogFollower';
import type { LogEntry, LogLine } from '../../src/core/logs/types';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import { validateText } from '../../src/core/mastercopy/validator';
import { lastLogLines } from '../../src/core/copies/lastLogLines';
import { runCli } from '../support/cli';
import { repoRoot } from '../support/repoRoot';
import {
  TEST_ENGINE_HOST,
  cleanupTestRun,
  ensureEngine,
  rawDocker,
  startEngine,
  stopEngine,
  testRunId,
  testRunLabels,
  waitFor,
} from '../support/engine';

const NAME = `mc-logs-${testRunId}`;

/** A copy-like container (our labels, this run's label) running `script`. */
function spec(
  name: string,
  index: number,
  script: string,
  more: Partial<ContainerSpec> = {},
): ContainerSpec {
  return {
    image: 'busybox:stable',
    labels: {
      ...testRunLabels,
      [LABEL_NAME]: name,
      [LABEL_VERSION]: '1.0.0',
      [LABEL_COPY]: String(index),
    },
    command: ['/bin/sh', '-c', script],
    network: 'none',
    init: true,
    ...more,
  };
}

/** Lines that tell their run apart: "RUN n" with RUN fresh at each start of the copy. */
const COUNTER =
  'run=$(cat /proc/sys/kernel/random/uuid | cut -c1-8); i=0; while true; do echo "$run $i"; i=$((i+1)); sleep 0.1; done';

/** Pulls entries until `done` says enough (or fails after `timeoutMs`). */
async function collect(
  it: AsyncIterator<LogEntry>,
  into: LogEntry[],
  done: (entries: LogEntry[]) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(into)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; got:\n${into.map(show).join('\n')}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), left))),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') continue;
    if (r.done) throw new Error(`the tail ended; got:\n${into.map(show).join('\n')}`);
    into.push(r.value);
  }
}

const show = (e: LogEntry) =>
  e.kind === 'line' ? `${e.copyIndex} ${e.stream} ${e.text}` : `-- ${e.event}: ${e.text}`;
const lines = (entries: LogEntry[]) => entries.filter((e): e is LogLine => e.kind === 'line');

/** Every run's counter seen exactly once and without a gap: nothing repeated, nothing lost. */
function assertRunsContiguous(
  entries: LogEntry[],
  from: Map<string, number> = new Map(),
): Map<string, number[]> {
  const runs = new Map<string, number[]>();
  for (const l of lines(entries)) {
    const [run, n] = l.text.split(' ');
    (runs.get(run) ?? runs.set(run, []).get(run))?.push(Number(n));
  }
  for (const [run, ns] of runs) {
    const first = from.get(run) ?? ns[0];
    assert.deepEqual(
      ns,
      ns.map((_, k) => first + k),
      `run ${run}: ${ns.join(',')}`,
    );
  }
  return runs;
}

function cli(args: string[]) {
  return runCli(args, { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST } });
}

describe('logs: tails of real copies', () => {
  let engine: EngineClient;
  const tails: LogFollower[] = [];
  const tempDirs: string[] = [];
  const follow = (
    target: Parameters<typeof followLogs>[1],
    options: Parameters<typeof followLogs>[2] = {},
  ) => {
    const f = followLogs(engine, target, { follow: true, retryMs: 200, ...options });
    tails.push(f);
    return f;
  };

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
  });

  afterEach(() => {
    for (const t of tails.splice(0)) t.close();
  });

  after(async () => {
    await cleanupTestRun();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  it('shows exactly what a copy wrote, in order: ANSI colour, stderr, UTF-8, an empty line', async () => {
    // A short pause at each switch between stdout and stderr: the engine reads the two
    // pipes separately, and only their order in time is what a tail can keep.
    const script = [
      `printf 'plain line\\n\\033[1;31mbold red\\033[0m and normal\\n'`,
      'sleep 0.1',
      `printf 'über-stderr 🚀\\n' >&2`,
      'sleep 0.1',
      `printf '\\nafter an empty line\\n'`,
      `printf 'no newline at the end'`,
    ].join('; ');
    const { id } = await engine.createAndStartContainer(spec(`${NAME}-exact`, 0, script));
    await waitFor(
      'the copy to exit',
      async () => (await engine.inspectContainer(id))?.running === false,
    );
    const entries: LogEntry[] = [];
    for await (const e of followLogs(engine, { containerId: id })) entries.push(e);
    assert.deepEqual(
      entries.map((e) => (e.kind === 'line' ? [e.copyIndex, e.stream, e.text] : e.text)),
      [
        [0, 'stdout', 'plain line'],
        [0, 'stdout', '\x1b[1;31mbold red\x1b[0m and normal'],
        [0, 'stderr', 'über-stderr 🚀'],
        [0, 'stdout', ''],
        [0, 'stdout', 'after an empty line'],
        [0, 'stdout', 'no newline at the end'],
      ],
    );
    const stamps = lines(entries).map((l) => l.timestamp);
    assert.deepEqual([...stamps].sort(), stamps);

    // The CLI: --tail 2, no colour off a terminal, the copy's own colour codes kept.
    const tail = await cli(['logs', id.slice(0, 12), '--tail', '2']);
    assert.equal(tail.stderr, '');
    assert.equal(tail.code, 0);
    assert.equal(tail.stdout, '0 | after an empty line\n0 | no newline at the end\n');
    const all = await cli(['logs', `${NAME}-exact:1.0.0`, '--no-prefix']);
    assert.equal(
      all.stdout,
      'plain line\n\x1b[1;31mbold red\x1b[0m and normal\nüber-stderr 🚀\n\nafter an empty line\nno newline at the end\n',
    );
  });

  it("without --follow, a running copy's log is shown up to now and the command ends", async () => {
    const { id } = await engine.createAndStartContainer(spec(`${NAME}-now`, 0, COUNTER));
    await waitFor(
      'a few lines',
      async () => (await lastLogLines(engine, id, 3, { quietMs: 100 })).length >= 3,
      20_000,
    );
    // The command must end by itself (a tail that went on would hit the test's timeout).
    const r = await cli(['logs', `${NAME}-now`]);
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout.trim().split('\n');
    assert.ok(got.length >= 3, r.stdout);
    assertRunsContiguous(got.map((t) => ({ kind: 'line', text: t.slice(4) }) as LogLine));
  });

  it('follows a copy across `restart`: a marker, the new run from its first line, nothing repeated or lost', async () => {
    const { id } = await engine.createAndStartContainer(spec(`${NAME}-restart`, 0, COUNTER));
    const it = follow({ containerId: id }, { tail: 0 })[Symbol.asyncIterator]();
    const got: LogEntry[] = [];
    await collect(it, got, (e) => lines(e).length >= 5);
    await rawDocker().getContainer(id).restart({ t: 1 });
    await collect(
      it,
      got,
      (e) =>
        e.some((x) => x.kind === 'marker' && x.event === 'restarted') &&
        lines(e.slice(e.findIndex((x) => x.kind === 'marker' && x.event === 'restarted'))).length >=
          5,
    );
    const runs = assertRunsContiguous(got);
    assert.equal(runs.size, 2, got.map(show).join('\n'));
    const [, second] = [...runs.values()];
    assert.equal(second[0], 0, 'the new run is shown from its first line');
    const restartedAt = got.findIndex((e) => e.kind === 'marker' && e.event === 'restarted');
    const firstRun = [...runs.keys()][0];
    assert.ok(
      lines(got.slice(restartedAt)).every((l) => !l.text.startsWith(firstRun)),
      'no line of the first run after the marker',
    );
  });

  it('follows a copy across an engine restart (the engine stopped and started again)', async function () {
    this.timeout(180_000);
    const { id } = await engine.createAndStartContainer(
      spec(`${NAME}-engine`, 0, COUNTER, { restart: 'always' }),
    );
    const it = follow({ name: `${NAME}-engine` }, { tail: 0 })[Symbol.asyncIterator]();
    const got: LogEntry[] = [];
    await collect(it, got, (e) => lines(e).length >= 3);
    await stopEngine();
    try {
      await collect(it, got, (e) =>
        e.some((x) => x.kind === 'marker' && x.event === 'engine-lost'),
      );
    } finally {
      await startEngine();
    }
    await collect(
      it,
      got,
      (e) => {
        const back = e.findIndex((x) => x.kind === 'marker' && x.event === 'engine-back');
        return back >= 0 && lines(e.slice(back)).length >= 3;
      },
      90_000,
    );
    const runs = assertRunsContiguous(got);
    assert.equal(runs.size, 2, got.map(show).join('\n'));
    assert.equal(
      [...runs.values()][1][0],
      0,
      'the run after the engine restart from its first line',
    );
    const events = got.filter((e) => e.kind === 'marker').map((e) => e.event);
    assert.ok(events.includes('restarted'), events.join(', '));
    assert.ok(lines(got).every((l) => l.containerId === id));
  });

  it('follows a master copy across a scale-up: the new copy joins and its lines appear', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'mastercopy-logs-'));
    tempDirs.push(folder);
    const file = join(folder, 'scaled.mastercopy.yaml');
    const text =
      `mastercopy: 1\nname: ${NAME}-scale\nversion: "1.0.0"\nfrom: busybox:stable\n` +
      `command: ["/bin/sh", "-c", "i=0; while true; do echo \\"tick $i\\"; i=$((i+1)); sleep 0.2; done"]\ncopies: 1\n`;
    writeFileSync(file, text);
    const mc = validateText(text, { path: file }, nodeFileAccess).masterCopy;
    assert.ok(mc);
    const options = {
      env: {},
      readFile: (p: string) => readFile(p, 'utf8'),
      extraLabels: testRunLabels,
    };
    try {
      await printCopies(engine, mc, folder, options);
      const it = follow({ name: mc.name }, { tail: 0 })[Symbol.asyncIterator]();
      const got: LogEntry[] = [];
      await collect(it, got, (e) => lines(e).length >= 2);
      await scaleCopies(engine, mc, folder, 2, options);
      await collect(it, got, (e) => lines(e).filter((l) => l.copyIndex === 1).length >= 3);
      const joined = got.findIndex(
        (e) => e.kind === 'marker' && e.event === 'joined' && e.copyIndex === 1,
      );
      assert.ok(joined >= 0, got.map(show).join('\n'));
      assert.ok(got.findIndex((e) => e.kind === 'line' && e.copyIndex === 1) > joined);
      assert.deepEqual(
        lines(got)
          .filter((l) => l.copyIndex === 1)
          .slice(0, 3)
          .map((l) => l.text),
        ['tick 0', 'tick 1', 'tick 2'],
        'the new copy from its first line',
      );
      for (const i of [0, 1]) {
        const ns = lines(got)
          .filter((l) => l.copyIndex === i)
          .map((l) => Number(l.text.split(' ')[1]));
        assert.deepEqual(
          ns,
          ns.map((_, k) => ns[0] + k),
          `copy ${i}: ${ns.join(',')}`,
        );
      }
    } finally {
      await disposeCopies(engine, { name: mc.name, all: true }, { stopTimeoutSeconds: 1 }).catch(
        () => undefined,
      );
    }
  });

  it('the CLI ends cleanly when its output is piped to `head`', async () => {
    const { id } = await engine.createAndStartContainer(spec(`${NAME}-head`, 0, COUNTER));
    // A tail that kept going after `head` left would hit execFile's timeout and fail.
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'bash',
        ['-c', `set -o pipefail; node dist/cli.js logs ${id} --follow | head -3`],
        {
          cwd: repoRoot(),
          env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST },
          timeout: 20_000,
        },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.equal(out.trim().split('\n').length, 3);
    assert.match(out, /^0 \| \S+ 0\n/);
  });

  it('Ctrl-C ends a followed tail cleanly: exit code 0, nothing on stderr', async () => {
    const { id } = await engine.createAndStartContainer(spec(`${NAME}-sigint`, 0, COUNTER));
    const child = spawn(process.execPath, ['dist/cli.js', 'logs', id, '--follow'], {
      cwd: repoRoot(),
      env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    await waitFor('the first lines', () => /\n0 \| \S+ 1\n/.test(stdout), 20_000, 20);
    child.kill('SIGINT');
    assert.equal(await exited, 0, `exit code after Ctrl-C (stderr: ${stderr})`);
    assert.equal(stderr, '');
  });
});
