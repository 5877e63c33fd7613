// What the in-VS-Code suites share: the extension's API, the small master copies they
// print, written into the test workspace, and the clean-up after them.
import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as vscode from 'vscode';
import type { EngineFeatures } from '../../../src/vscode/engineFeatures';
import type { MasterCopyApi } from '../../../src/vscode/extension';
import { docker, removeDeployState, removeImage } from './docker';

export const EXTENSION_ID = 'mastercopy.mastercopy';

/** A master copy name no other run (nor an earlier one's leftovers) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}`;
}

export interface HttpMasterCopyOptions {
  version?: string;
  copies?: number;
  /** More top-level YAML, appended as it is (a `description:`, a `build:`, a `gateway:` …). */
  extra?: string;
  /** More `files` entries' YAML (each starting with "  - path:"). */
  files?: string;
  /** The health check's `interval` and `retries` (short, for tests that wait on health). */
  fastHealth?: boolean;
}

/** The small master copy most suites print: busybox httpd on 8080 answering /health. */
export function httpMasterCopy(
  name: string,
  {
    version = '1.0.0',
    copies = 2,
    extra = '',
    files = '',
    fastHealth = true,
  }: HttpMasterCopyOptions = {},
): string {
  return `mastercopy: 1
name: ${name}
version: "${version}"
from: busybox:stable
files:
  - path: /srv/www/health
    content: ok
${files}command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/srv/www"]
ports: [8080]
health:
  http: { port: 8080, path: /health }
${fastHealth ? '  interval: 500ms\n  retries: 20\n' : ''}copies: ${copies}
${extra}`;
}

/** A master copy whose copies only run the shell `script` (no ports, no health). */
export function scriptMasterCopy(name: string, script: string, copies = 1): string {
  return `mastercopy: 1
name: ${name}
version: "1.0.0"
from: busybox:stable
command: ${JSON.stringify(['/bin/sh', '-c', script])}
copies: ${copies}
`;
}

/** The extension, activated. */
export async function activateExtension(): Promise<MasterCopyApi> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is installed`);
  return (await extension.activate()) as MasterCopyApi;
}

/** The extension with its engine features on (the test workspace is trusted). */
export async function activateWithEngine(): Promise<
  MasterCopyApi & { readonly engine: EngineFeatures }
> {
  const api = await activateExtension();
  assert.ok(api.engine, 'the test workspace is trusted, so the engine features are on');
  return api as MasterCopyApi & { readonly engine: EngineFeatures };
}

/** A file in the test workspace's folder. */
export function workspaceFile(file: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with a workspace folder open');
  return vscode.Uri.joinPath(folder.uri, file);
}

/** Writes `text` into the test workspace as `file`. */
export async function writeWorkspaceFile(file: string, text: string): Promise<vscode.Uri> {
  const uri = workspaceFile(file);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

export interface MasterCopyFixture {
  readonly api: MasterCopyApi & { readonly engine: EngineFeatures };
  /** The master copy's file, `NAME.mastercopy.yaml` in the test workspace. */
  readonly uri: vscode.Uri;
}

/**
 * The usual set-up of a suite that works on one master copy: `before()` activates the
 * extension and writes the file (and opens it with `open`); `after()` disposes of its
 * copies and removes the images of `versions`.
 */
export function useMasterCopy(
  name: string,
  text: string,
  { open = false, versions = ['1.0.0'] }: { open?: boolean; versions?: string[] } = {},
): MasterCopyFixture {
  let api: MasterCopyFixture['api'] | undefined;
  let uri: vscode.Uri | undefined;
  before(async () => {
    api = await activateWithEngine();
    uri = await writeWorkspaceFile(`${name}.mastercopy.yaml`, text);
    if (open) await vscode.window.showTextDocument(uri);
  });
  after(async () => {
    if (uri) await vscode.commands.executeCommand('mastercopy.dispose', uri, { confirmed: true });
    for (const v of versions) await removeImage(`${name}:${v}`);
    await removeDeployState(name);
  });
  return {
    get api() {
      assert.ok(api, 'the fixture is set up (used after its before())');
      return api;
    },
    get uri() {
      assert.ok(uri, 'the fixture is set up (used after its before())');
      return uri;
    },
  };
}

/**
 * Removes everything a promote of `name` left on the engine: every version and the endpoint
 * (Dispose of the master copy, as a user would), what its keeper printed meanwhile (it can
 * still replace a copy while the copies go), its network, its ledger and its desired counts.
 */
export async function removePromoted(name: string): Promise<void> {
  await vscode.commands.executeCommand(
    'mastercopy.dispose',
    { kind: 'masterCopy', name, copies: [] },
    { confirmed: true },
  );
  const ours = `label=io.mastercopy.name=${name}`;
  const left = (await docker('ps', '-aq', '--filter', ours)).split('\n').filter(Boolean);
  if (left.length) await docker('rm', '-f', ...left);
  const networks = (await docker('network', 'ls', '-q', '--filter', ours))
    .split('\n')
    .filter(Boolean);
  if (networks.length) await docker('network', 'rm', ...networks).catch(() => undefined);
  await removeDeployState(name);
}

/** A loopback port nobody listens on now (a keeper publishes it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
