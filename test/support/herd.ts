// Master copies for the keeper's engine tests (self-healing, autoscaling): the example
// transaction-service under a test name, with a fast health check and its own gateway port.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeCopies } from '../../src/core/copies/dispose';
import { forgetLedger } from '../../src/core/deploy/ledger';
import { nodeDeployEnvironment } from '../../src/core/deploy/nodeDeployEnvironment';
import type { DeployEnvironment } from '../../src/core/deploy/promote';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_NAME } from '../../src/core/engine/labels';
import {
  findKeeper,
  keeperControl,
  type KeeperReport,
} from '../../src/core/keeper/keeperContainer';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { TEST_ENGINE_HOST, cleanupTestRun, ensureEngine, rawDocker, testRunLabels } from './engine';
import { repoRoot } from './repoRoot';

export const FAST_HEALTH =
  `health:\n  http: { port: 8080, path: /health }\n  interval: 500ms\n  timeout: 1s\n` +
  `  retries: 2\n  startPeriod: 1s\n`;

/** The example as `name` behind `port`, edited by `edit`, in a new folder (pushed onto `folders` to be removed). */
export function herdVariant(
  name: string,
  port: number,
  folders: string[],
  edit: (t: string) => string = (t) => t,
): { mc: MasterCopy; folder: string } {
  const folder = mkdtempSync(join(tmpdir(), 'mastercopy-herd-'));
  folders.push(folder);
  cpSync(join(repoRoot(), 'examples', 'transaction-service'), folder, { recursive: true });
  const file = join(folder, 'transaction-service.mastercopy.yaml');
  const text = edit(
    readFileSync(file, 'utf8')
      .replace(/^name: transaction-service$/m, `name: ${name}`)
      .replace(/^health:\n(  .*\n)+/m, FAST_HEALTH)
      .replace(/^gateway: .*$/m, `gateway: { port: ${port}, target: 8080 }`),
  );
  writeFileSync(file, text);
  const result = validateText(text, { path: file }, nodeFileAccess);
  assert.ok(result.masterCopy, result.diagnostics.map((d) => d.message).join('\n'));
  return { mc: result.masterCopy, folder };
}

/** The copies of `name` on the engine (any state), by index. */
export async function copiesOf(
  name: string,
): Promise<{ id: string; state: string; index: string; version: string }[]> {
  const list = await rawDocker().listContainers({
    all: true,
    filters: { label: [`${LABEL_NAME}=${name}`, 'io.mastercopy.copy'] },
  });
  return list
    .map((c) => ({
      id: c.Id,
      state: c.State,
      index: c.Labels['io.mastercopy.copy'],
      version: c.Labels['io.mastercopy.version'],
    }))
    .sort((a, b) => Number(a.index) - Number(b.index));
}

/** Polls `condition` for `ms`; fails the moment it does not hold. */
export async function holdsFor(
  what: string,
  condition: () => Promise<boolean>,
  ms: number,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await condition())) throw new Error(`no longer true: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface HerdEngine {
  readonly engine: EngineClient;
  readonly deploy: DeployEnvironment;
  /** Master copies the suite promoted: disposed of, with their ledgers, after it. */
  readonly names: string[];
  /** Folders of the suite's variants: removed after it. */
  readonly folders: string[];
  /** The keeper's status of `name` (there must be a keeper). */
  status(name: string): Promise<KeeperReport>;
}

/**
 * The set-up of a suite about the keeper: `before()` makes sure the engine runs and makes the
 * client and the deploy environment (this test run's labels); `after()` removes what the suite
 * promoted and printed, and the `folders` (where its variants were written).
 */
export function useHerdEngine(folders: string[] = []): HerdEngine {
  let engine: EngineClient | undefined;
  let deploy: DeployEnvironment | undefined;
  const names: string[] = [];
  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
    deploy = nodeDeployEnvironment(
      engine,
      process.env,
      { scriptPath: join(repoRoot(), 'dist', 'keeper.js') },
      testRunLabels,
    );
  });
  after(async () => {
    for (const name of names) {
      if (!engine) break;
      await disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 }).catch(
        () => undefined,
      );
      await forgetLedger(engine, name).catch(() => undefined);
      // Images the CLI built for it carry no run label (a test's `mastercopy build`): by name.
      for (const image of await rawDocker().listImages({
        filters: { label: [`${LABEL_NAME}=${name}`] },
      }))
        await rawDocker()
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    await cleanupTestRun();
    for (const d of folders) rmSync(d, { recursive: true, force: true });
  });
  const herd: HerdEngine = {
    get engine() {
      assert.ok(engine, 'used after its before()');
      return engine;
    },
    get deploy() {
      assert.ok(deploy, 'used after its before()');
      return deploy;
    },
    names,
    folders,
    async status(name) {
      const keeper = await findKeeper(herd.engine, name);
      assert.ok(keeper, 'a keeper runs');
      return keeperControl(herd.engine, keeper.id, ['status']);
    },
  };
  return herd;
}
