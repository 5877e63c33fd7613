// Which Docker engine to talk to, resolved the way the Docker CLI resolves it, so that
// the extension and the CLI reach the same engine as `docker` in the same shell:
//   the explicit host (the CLI's --host, the editor's setting; like `docker -H`) > DOCKER_HOST > DOCKER_CONTEXT >
//   currentContext in $DOCKER_CONFIG/config.json > unix:///var/run/docker.sock,
// and a Podman socket when the default one is missing.
// Pure: the environment, the file system and the home folder are passed in.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';

export const DEFAULT_SOCKET = '/var/run/docker.sock';
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_SSH_PORT = 22;

export type EngineHostSource =
  'setting' | 'DOCKER_HOST' | `context:${string}` | 'default' | 'podman';

/** TLS in use for a tcp:// host; the paths say where the material came from. */
export interface EngineTls {
  /** false: encrypted, but the engine's certificate is not checked (DOCKER_TLS, SkipTLSVerify). */
  verify: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** The subset of dockerode's constructor options we produce (`new Dockerode(opts)`). */
export interface EngineConnectionOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  sshOptions?: { agent?: string; privateKey?: string };
}

export interface ResolvedEngineHost {
  /** The endpoint in Docker's notation, for messages: unix:///…, tcp://host:port, ssh://user@host:port. */
  host: string;
  source: EngineHostSource;
  tls?: EngineTls;
  dockerodeOptions: EngineConnectionOptions;
  /** How to use another engine, for messages (HostChoice.hint); absent: "set DOCKER_HOST". */
  hint?: string;
}

/**
 * How the front end lets its user name the engine, for messages: the CLI has `--host`, the
 * editor a setting. Core names neither; without one, messages name what works anywhere.
 */
export interface HostChoice {
  /** What the explicit host (resolveEngineHost's `setting`) is called, at the start of a sentence: "--host". */
  name: string;
  /** What to do to use another engine: "pass --host or set DOCKER_HOST". */
  hint: string;
}

const PLAIN_CHOICE: HostChoice = { name: 'The engine host given', hint: 'set DOCKER_HOST' };

export interface HostResolutionDeps {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
  /** How the front end names the host, for messages; default PLAIN_CHOICE. */
  choice?: HostChoice;
}

/** The real environment, file system and home folder. */
export function nodeHostResolutionDeps(env: NodeJS.ProcessEnv = process.env): HostResolutionDeps {
  return {
    env,
    homeDir: homedir(),
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (path) => existsSync(path),
  };
}

/** The engine endpoint is configured in a way we cannot use; the message says where and why. */
export class EngineHostError extends Error {
  override readonly name = 'EngineHostError';
}

/**
 * Resolves the engine endpoint. `setting` is the front end's explicit host (the CLI's
 * `--host`, the editor's setting; empty: not set). Throws EngineHostError for a malformed
 * host, an unknown context or missing TLS material.
 */
export function resolveEngineHost(
  setting: string | undefined,
  deps: HostResolutionDeps,
): ResolvedEngineHost {
  const resolved = resolve(setting, deps);
  return deps.choice ? { ...resolved, hint: deps.choice.hint } : resolved;
}

function resolve(setting: string | undefined, deps: HostResolutionDeps): ResolvedEngineHost {
  const { env } = deps;
  if (setting?.trim()) return fromHostString(setting.trim(), 'setting', envTls(deps), deps);
  if (env.DOCKER_HOST?.trim())
    return fromHostString(env.DOCKER_HOST.trim(), 'DOCKER_HOST', envTls(deps), deps);

  const configDir = dockerConfigDir(deps);
  const contextName = env.DOCKER_CONTEXT?.trim() || currentContext(configDir, deps);
  if (contextName && contextName !== 'default') return fromContext(contextName, configDir, deps);

  if (!deps.exists(DEFAULT_SOCKET)) {
    const podman = podmanSockets(env).find((p) => deps.exists(p));
    if (podman)
      return {
        host: `unix://${podman}`,
        source: 'podman',
        dockerodeOptions: { socketPath: podman },
      };
  }
  return {
    host: `unix://${DEFAULT_SOCKET}`,
    source: 'default',
    dockerodeOptions: { socketPath: DEFAULT_SOCKET },
  };
}

/**
 * Is the engine on this machine? Copies publish their ports on the engine host's 127.0.0.1,
 * so only then are they reached from here: a unix socket or named pipe, or tcp to a loopback
 * address. An ssh:// engine is remote even at 127.0.0.1 (the port may be forwarded anywhere).
 */
export function isLocalEngine(endpoint: Pick<ResolvedEngineHost, 'host'>): boolean {
  const host = endpoint.host.trim();
  if (/^(unix|npipe):/i.test(host)) return true;
  const tcp = /^tcp:\/\/(\[[^\]]*\]|[^:/]*)/i.exec(host);
  if (!tcp) return false;
  const name = stripBrackets(tcp[1]).toLowerCase();
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(deps: Pick<HostResolutionDeps, 'env' | 'homeDir'>): string {
  return deps.env.DOCKER_CONFIG?.trim() || posix.join(deps.homeDir, '.docker');
}

/** The folder name Docker gives a context's metadata and TLS material: sha256 of its name. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function podmanSockets(env: HostResolutionDeps['env']): string[] {
  const rootless = env.XDG_RUNTIME_DIR?.trim()
    ? [posix.join(env.XDG_RUNTIME_DIR.trim(), 'podman', 'podman.sock')]
    : [];
  return [...rootless, '/run/podman/podman.sock'];
}

function currentContext(configDir: string, deps: HostResolutionDeps): string | undefined {
  const file = posix.join(configDir, 'config.json');
  const text = deps.readFile(file);
  if (text === undefined) return undefined;
  const config = parseJson(text, file) as { currentContext?: unknown } | null;
  return typeof config?.currentContext === 'string' && config.currentContext
    ? config.currentContext
    : undefined;
}

function fromContext(
  name: string,
  configDir: string,
  deps: HostResolutionDeps,
): ResolvedEngineHost {
  const source = `context:${name}` as const;
  const hash = contextDirName(name);
  const metaFile = posix.join(configDir, 'contexts', 'meta', hash, 'meta.json');
  const text = deps.readFile(metaFile);
  if (text === undefined) {
    throw new EngineHostError(
      `Docker context "${name}" not found (no ${metaFile}). Run \`docker context ls\`; ` +
        `set DOCKER_CONTEXT to another, or ${(deps.choice ?? PLAIN_CHOICE).hint}.`,
    );
  }
  const meta = parseJson(text, metaFile) as {
    Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
  } | null;
  const endpoint = meta?.Endpoints?.docker;
  if (typeof endpoint?.Host !== 'string' || !endpoint.Host) {
    throw new EngineHostError(
      `Docker context "${name}" has no docker endpoint host in ${metaFile}.`,
    );
  }
  const tlsDir = posix.join(configDir, 'contexts', 'tls', hash, 'docker');
  const files = tlsFiles(tlsDir, deps);
  const tls =
    files.caFile || files.certFile
      ? { verify: endpoint.SkipTLSVerify !== true, ...files }
      : undefined;
  return fromHostString(endpoint.Host, source, tls, deps);
}

/** TLS from DOCKER_TLS_VERIFY (any non-empty value, as in the CLI) or DOCKER_TLS, material in DOCKER_CERT_PATH. */
function envTls(deps: HostResolutionDeps): EngineTls | undefined {
  const { env } = deps;
  const verify = !!env.DOCKER_TLS_VERIFY;
  if (!verify && !env.DOCKER_TLS) return undefined;
  const dir = env.DOCKER_CERT_PATH?.trim() || dockerConfigDir(deps);
  return { verify, ...tlsFiles(dir, deps) };
}

function tlsFiles(dir: string, deps: HostResolutionDeps): Omit<EngineTls, 'verify'> {
  const found = (file: string) => {
    const p = posix.join(dir, file);
    return deps.exists(p) ? p : undefined;
  };
  return { caFile: found('ca.pem'), certFile: found('cert.pem'), keyFile: found('key.pem') };
}

function fromHostString(
  raw: string,
  source: EngineHostSource,
  tls: EngineTls | undefined,
  deps: HostResolutionDeps,
): ResolvedEngineHost {
  // A bare "host:port" means tcp, as in the CLI.
  const value = raw.includes('://') ? raw : `tcp://${raw}`;
  const scheme = value.slice(0, value.indexOf('://')).toLowerCase();
  const where = describeSource(source, deps);
  switch (scheme) {
    case 'unix': {
      const socketPath = value.slice('unix://'.length) || DEFAULT_SOCKET;
      if (!socketPath.startsWith('/'))
        throw new EngineHostError(
          `${where}: "${raw}" — a unix socket path must be absolute (unix:///path/to/docker.sock).`,
        );
      return { host: `unix://${socketPath}`, source, dockerodeOptions: { socketPath } };
    }
    case 'tcp':
      return fromTcp(raw, value, source, tls, deps);
    case 'ssh':
      return fromSsh(raw, value, source, deps);
    default:
      throw new EngineHostError(
        `${where}: "${raw}" — unsupported scheme "${scheme}://"; use unix://, tcp:// or ssh://.`,
      );
  }
}

function fromTcp(
  raw: string,
  value: string,
  source: EngineHostSource,
  tls: EngineTls | undefined,
  deps: HostResolutionDeps,
): ResolvedEngineHost {
  // tcp://:2375 means localhost, as in the CLI; URL cannot parse an empty host.
  const url = parseUrl(raw, value.replace(/^tcp:\/\/(?=[:/]|$)/i, 'tcp://localhost'), source, deps);
  if (url.pathname && url.pathname !== '/') {
    throw new EngineHostError(
      `${describeSource(source, deps)}: "${raw}" — a path after the host is not supported; use tcp://host:port.`,
    );
  }
  const host = stripBrackets(url.hostname);
  const port = url.port ? Number(url.port) : DEFAULT_TCP_PORT;
  const hostText = `tcp://${url.hostname}:${port}`;
  if (!tls) return { host: hostText, source, dockerodeOptions: { host, port, protocol: 'http' } };

  if (tls.verify && !tls.caFile) {
    throw new EngineHostError(
      `${describeSource(source, deps)}: TLS verification is on for ${hostText} but there is no ca.pem (${tlsWhere(source, deps)}).`,
    );
  }
  if (!tls.certFile !== !tls.keyFile) {
    throw new EngineHostError(
      `${describeSource(source, deps)}: TLS for ${hostText} needs both cert.pem and key.pem, found only ${tls.certFile ?? tls.keyFile}.`,
    );
  }
  const read = (p: string | undefined) => {
    if (!p) return undefined;
    const text = deps.readFile(p);
    if (text === undefined)
      throw new EngineHostError(`${describeSource(source, deps)}: cannot read TLS file ${p}.`);
    return text;
  };
  return {
    host: hostText,
    source,
    tls,
    dockerodeOptions: {
      host,
      port,
      protocol: 'https',
      ca: read(tls.caFile),
      cert: read(tls.certFile),
      key: read(tls.keyFile),
    },
  };
}

function fromSsh(
  raw: string,
  value: string,
  source: EngineHostSource,
  deps: HostResolutionDeps,
): ResolvedEngineHost {
  const url = parseUrl(raw, value, source, deps);
  if (!url.hostname)
    throw new EngineHostError(
      `${describeSource(source, deps)}: "${raw}" — no host; use ssh://user@host[:port].`,
    );
  if (url.pathname && url.pathname !== '/') {
    throw new EngineHostError(
      `${describeSource(source, deps)}: "${raw}" — a path after the host is not supported; use ssh://user@host[:port].`,
    );
  }
  const username = decodeURIComponent(url.username) || deps.env.USER || deps.env.LOGNAME;
  const port = url.port ? Number(url.port) : DEFAULT_SSH_PORT;
  // The CLI runs the system ssh; dockerode speaks ssh itself, with the agent or a key file.
  const agent = deps.env.SSH_AUTH_SOCK?.trim() || undefined;
  const sshOptions: EngineConnectionOptions['sshOptions'] = { agent };
  if (!agent) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const key = deps.readFile(posix.join(deps.homeDir, '.ssh', name));
      if (key !== undefined) {
        sshOptions.privateKey = key;
        break;
      }
    }
  }
  return {
    host: `ssh://${username ? `${username}@` : ''}${url.hostname}${url.port ? `:${url.port}` : ''}`,
    source,
    dockerodeOptions: {
      host: stripBrackets(url.hostname),
      port,
      protocol: 'ssh',
      username,
      sshOptions,
    },
  };
}

function parseUrl(
  raw: string,
  value: string,
  source: EngineHostSource,
  deps: HostResolutionDeps,
): URL {
  try {
    return new URL(value);
  } catch {
    throw new EngineHostError(
      `${describeSource(source, deps)}: "${raw}" is not a valid engine host ` +
        `(e.g. unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host).`,
    );
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineHostError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function describeSource(
  source: EngineHostSource,
  deps: Pick<HostResolutionDeps, 'choice'>,
): string {
  if (source === 'setting') return (deps.choice ?? PLAIN_CHOICE).name;
  if (source.startsWith('context:')) return `Docker context "${source.slice('context:'.length)}"`;
  return source;
}

function tlsWhere(source: EngineHostSource, deps: HostResolutionDeps): string {
  if (source.startsWith('context:'))
    return `looked in ${posix.join(dockerConfigDir(deps), 'contexts', 'tls')}`;
  return `looked in ${deps.env.DOCKER_CERT_PATH?.trim() || dockerConfigDir(deps)} (DOCKER_CERT_PATH)`;
}
