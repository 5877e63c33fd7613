// Helpers for tests that need a real engine (test/engine, test/podman): make sure one runs,
// stop and start it (to test following logs or events across an engine restart), and
// clean up what a test run created — only objects carrying this run's label.
// MASTERCOPY_TEST_ENGINE=podman points all of it at Podman's Docker-compatible API
// (scripts/setup-podman.sh) instead of the Docker Engine (scripts/setup-engine.sh).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { repoRoot } from './repoRoot';

/** The engine the tests drive: read once, when this module loads. */
export const TEST_ENGINE: 'docker' | 'podman' =
  process.env.MASTERCOPY_TEST_ENGINE === 'podman' ? 'podman' : 'docker';
/** The socket scripts/setup-podman.sh serves Podman's API on. */
export const PODMAN_SOCKET = '/run/mastercopy-podman.sock';
/** The socket scripts/setup-engine.sh (or setup-podman.sh) provisions. */
const SOCKET = TEST_ENGINE === 'podman' ? PODMAN_SOCKET : '/var/run/docker.sock';
export const TEST_ENGINE_HOST = `unix://${SOCKET}`;

/** Label key that marks everything one test run creates (ours and "foreign" objects alike). */
export const TEST_RUN_LABEL = 'io.mastercopy.test-run';
/** This process's run id: cleanup never touches another run's objects or anybody else's. */
export const testRunId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
export const testRunLabels: Record<string, string> = { [TEST_RUN_LABEL]: testRunId };

function runScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', args, { cwd: repoRoot(), timeout: 180_000 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`bash ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

let ensured: Promise<void> | undefined;

/** Runs scripts/setup-engine.sh (setup-podman.sh) once per process (engine up, busybox:stable present). */
export function ensureEngine(): Promise<void> {
  const script = TEST_ENGINE === 'podman' ? 'scripts/setup-podman.sh' : 'scripts/setup-engine.sh';
  ensured ??= runScript([script]).then(
    () => undefined,
    (e) => {
      ensured = undefined;
      throw e;
    },
  );
  return ensured;
}

/** Dockerode straight on the test engine, for what the product must not do (e.g. make foreign containers). */
export function rawDocker(): Dockerode {
  return new Dockerode({ socketPath: SOCKET });
}

/** Resolves once `condition` holds, polling every `intervalMs`; rejects after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function answers(): Promise<boolean> {
  try {
    await rawDocker().ping();
    return true;
  } catch {
    return false;
  }
}

/** The script that starts and stops the engine under test. */
const ENGINE_SCRIPT =
  TEST_ENGINE === 'podman' ? 'scripts/setup-podman.sh' : 'scripts/engine/dockerd.sh';

/** Stops dockerd (its containers stop with it; Podman's service: they keep running) and waits until the socket no longer answers. */
export async function stopEngine(timeoutMs = 60_000): Promise<void> {
  await runScript([ENGINE_SCRIPT, 'stop']);
  await waitFor('the engine to stop answering', async () => !(await answers()), timeoutMs);
}

/** Starts dockerd (Podman's service) again and waits until the socket answers. */
export async function startEngine(timeoutMs = 60_000): Promise<void> {
  await runScript([ENGINE_SCRIPT, 'start']);
  await waitFor('the engine to answer', answers, timeoutMs);
}

/**
 * Removes every container, network, volume and image labelled with this run's id,
 * whoever's labels they carry otherwise. Returns how many objects it removed.
 */
export async function cleanupTestRun(): Promise<number> {
  const docker = rawDocker();
  const filters = { label: [`${TEST_RUN_LABEL}=${testRunId}`] };
  let removed = 0;
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (c) => {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreNotFound);
      removed++;
    }),
  );
  removed += await removeBuilderLeftovers();
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove().catch(ignoreNotFound);
    removed++;
  }
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) {
    await docker.getVolume(v.Name).remove().catch(ignoreNotFound);
    removed++;
  }
  for (const i of await docker.listImages({ filters })) {
    await docker.getImage(i.Id).remove({ force: true }).catch(ignoreNotFound);
    removed++;
  }
  return removed;
}

/** When this process started: what the engine made after it is this run's. */
const RUN_STARTED_S = Math.floor(Date.now() / 1000) - 1;

/**
 * The containers the engine's classic builder had made for a step when it was stopped in the
 * middle of a build (the faults tests do that): never started, their command a `#(nop)`
 * instruction, with the labels of the half-built image (ours among them) but none of the
 * run's. Only those made since this run started are removed.
 */
async function removeBuilderLeftovers(): Promise<number> {
  const docker = rawDocker();
  const leftovers = (
    await docker.listContainers({
      all: true,
      filters: { status: ['created'], label: ['io.mastercopy.managed=true'] },
    })
  ).filter((c) => c.Created >= RUN_STARTED_S && /#\(nop\)/.test(c.Command));
  for (const c of leftovers)
    await docker.getContainer(c.Id).remove({ force: true }).catch(ignoreNotFound);
  return leftovers.length;
}

function ignoreNotFound(e: unknown): void {
  if ((e as { statusCode?: number }).statusCode !== 404) throw e;
}
