// The test engine reached the way a remote one is: through a real sshd on loopback
// (scripts/setup-sshd.sh), as DOCKER_HOST=ssh://USER@127.0.0.1:PORT. The client finds its key
// the way a user's does, in an ssh-agent (SSH_AUTH_SOCK): an agent of the test's own, holding
// the test key only, so that neither ~/.ssh nor HOME is touched.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './engine';
import { repoRoot } from './repoRoot';

export interface SshEngine {
  /** ssh://USER@127.0.0.1:PORT */
  host: string;
  keyPath: string;
  /** The sshd's log: one "Accepted publickey" line per connection. */
  logPath: string;
}

function run(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: repoRoot(), env, timeout: 240_000 }, (err, stdout, stderr) =>
      resolve({
        code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0,
        out: `${stdout}${stderr}`,
      }),
    );
  });
}

let ensured: Promise<SshEngine> | undefined;

/** Runs scripts/setup-sshd.sh once per process (installs openssh-server when missing). */
export function ensureSshd(): Promise<SshEngine> {
  ensured ??= run('bash', ['scripts/setup-sshd.sh']).then(({ code, out }) => {
    if (code !== 0) {
      ensured = undefined;
      throw new Error(`bash scripts/setup-sshd.sh failed (exit ${code}):\n${out}`);
    }
    const state = join(repoRoot(), '.tools', 'sshd');
    // The script keeps the port it chose (2222, or the next free one) in its state folder.
    const port =
      process.env.MASTERCOPY_SSHD_PORT || readFileSync(join(state, 'port'), 'utf8').trim();
    return {
      host: `ssh://${userInfo().username}@127.0.0.1:${port}`,
      keyPath: join(state, 'client_ed25519'),
      logPath: join(state, 'sshd.log'),
    };
  });
  return ensured;
}

/** How many connections the sshd has accepted so far. */
export function acceptedConnections(engine: SshEngine): number {
  return readFileSync(engine.logPath, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Accepted publickey')).length;
}

export interface SshAgent {
  /** For SSH_AUTH_SOCK. */
  socket: string;
  stop(): Promise<void>;
}

/** An ssh-agent of this test's own (a child process, ended by stop()) holding `keyPath`. */
export async function startSshAgent(keyPath: string): Promise<SshAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'mastercopy-ssh-agent-'));
  const socket = join(dir, 'agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
  const env = { ...process.env, SSH_AUTH_SOCK: socket };
  const stop = async () => {
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // ssh-add -l: 1 once the agent answers (no keys yet), 2 while it cannot be reached.
    await waitFor(
      'the ssh-agent to answer',
      async () => (await run('ssh-add', ['-l'], env)).code === 1,
      10_000,
    );
    const added = await run('ssh-add', [keyPath], env);
    if (added.code !== 0) throw new Error(`ssh-add ${keyPath} failed: ${added.out}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { socket, stop };
}
