// Master copies for the keeper's engine tests (self-healing, autoscaling): the example
// transaction-service under a test name, with a fast health check and its own gateway port.
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_NAME } from '../../src/core/engine/labels';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { validateText } from '../../src/core/mastercopy/validator';
import { rawDocker } from './engine';
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
