// Small master copies for the concurrency, conflict and security engine tests: written into
// a fresh folder under a name unique to this run, validated as the CLI would. What the CLI
// prints carries no test-run label, so `forgetNames` removes everything of those names.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { disposeCopies } from '../../src/core/copies/dispose';
import { forgetDesired } from '../../src/core/deploy/desired';
import { forgetLedger } from '../../src/core/deploy/ledger';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { LABEL_MANAGED, LABEL_NAME } from '../../src/core/engine/labels';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { runCli } from './cli';
import { TEST_ENGINE_HOST, cleanupTestRun, ensureEngine, rawDocker, testRunId } from './engine';

export interface SmallCopy {
  mc: MasterCopy;
  folder: string;
  file: string;
}

let serial = 0;

/** `mc-<what>-<run>-<n>`: a DNS label of at most 63 characters. */
export function uniqueName(what: string): string {
  return `mc-${what}-${testRunId}-${serial++}`.slice(0, 63);
}

/**
 * A master copy named `name` whose body (everything after name and version) is `body`,
 * with `extra` files beside it; its folder is pushed onto `folders`.
 */
export function smallCopy(
  name: string,
  body: string,
  folders: string[],
  extra: Record<string, string> = {},
  version = '1.0.0',
): SmallCopy {
  const folder = mkdtempSync(join(tmpdir(), 'mastercopy-small-'));
  folders.push(folder);
  for (const [rel, content] of Object.entries(extra)) {
    mkdirSync(dirname(join(folder, rel)), { recursive: true });
    writeFileSync(join(folder, rel), content);
  }
  const file = join(folder, `${name}.mastercopy.yaml`);
  const text = `mastercopy: 1\nname: ${name}\nversion: "${version}"\n${body}`;
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(result.masterCopy, result.diagnostics.map((d) => d.message).join('\n'));
  return { mc: result.masterCopy, folder, file };
}

/** A copy that does nothing for an hour and stops at once on SIGTERM (the copy's init passes it on). */
export const IDLE = 'from: busybox:stable\ncommand: ["sleep", "3600"]\n';

/** Everything of ours the engine holds for `name`: containers (any state), networks, volumes — by id or name, sorted. */
export async function oursOf(
  name: string,
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const docker = rawDocker();
  const filters = { label: [`${LABEL_NAME}=${name}`, `${LABEL_MANAGED}=true`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => `${c.Names[0]} ${c.State}`).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** Removes every copy, keeper, record, network, volume and image of these names (what the CLI made has no run label). */
export async function forgetNames(engine: EngineClient, names: string[]): Promise<void> {
  const docker = rawDocker();
  for (const name of names) {
    await disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 }).catch(
      () => undefined,
    );
    await forgetDesired(engine, name).catch(() => undefined);
    await forgetLedger(engine, name).catch(() => undefined);
    const filters = { label: [`${LABEL_NAME}=${name}`, `${LABEL_MANAGED}=true`] };
    for (const c of await docker.listContainers({ all: true, filters }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const n of await docker.listNetworks({ filters }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    // Podman 4.3 lists no image for two label filters: one, and the managed label checked here.
    const images = await docker.listImages({ filters: { label: [`${LABEL_NAME}=${name}`] } });
    for (const i of images.filter((i) => i.Labels?.[LABEL_MANAGED] === 'true'))
      await docker
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

export function removeFolders(folders: string[]): void {
  for (const d of folders.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface SmallCopies {
  /** The engine client (after before()). */
  readonly engine: EngineClient;
  /** Names the suite printed under: everything of them is removed after it. */
  readonly names: string[];
  /** Folders of its master copies: removed after it. */
  readonly folders: string[];
  /** The CLI against the test engine, with `env` added to this process's environment. */
  cli(args: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
}

/**
 * The set-up of a suite of small master copies: `before()` makes sure the engine runs and
 * makes the client; `after()` removes everything of `names`, the run's labelled objects and
 * the folders.
 */
export function useSmallCopies(): SmallCopies {
  let engine: EngineClient | undefined;
  const names: string[] = [];
  const folders: string[] = [];
  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
  });
  after(async () => {
    if (engine) await forgetNames(engine, names);
    await cleanupTestRun();
    removeFolders(folders);
  });
  return {
    get engine() {
      assert.ok(engine, 'used after its before()');
      return engine;
    },
    names,
    folders,
    cli: (args, env = {}) =>
      runCli(args, { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST, ...env } }),
  };
}
