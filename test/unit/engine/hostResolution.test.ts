import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  EngineHostError,
  contextDirName,
  resolveEngineHost,
  type HostResolutionDeps,
} from '../../../src/core/engine/hostResolution';

const HOME = '/home/ada';

/** A fake machine: environment variables and a set of files with their text. */
function machine(
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): HostResolutionDeps {
  return {
    env,
    homeDir: HOME,
    readFile: (p) => files[p],
    exists: (p) => p in files,
  };
}

function contextFiles(
  name: string,
  endpoint: object,
  configDir = `${HOME}/.docker`,
  tls?: Record<string, string>,
): Record<string, string> {
  const hash = createHash('sha256').update(name).digest('hex');
  const files: Record<string, string> = {
    [`${configDir}/contexts/meta/${hash}/meta.json`]: JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: endpoint },
    }),
  };
  for (const [file, text] of Object.entries(tls ?? {}))
    files[`${configDir}/contexts/tls/${hash}/docker/${file}`] = text;
  return files;
}

const DEFAULT_SOCKET_FILE = { '/var/run/docker.sock': '' };

describe('engine host resolution', () => {
  describe('default', () => {
    it('uses /var/run/docker.sock when nothing is configured', () => {
      const r = resolveEngineHost(undefined, machine({}, DEFAULT_SOCKET_FILE));
      assert.deepEqual(r, {
        host: 'unix:///var/run/docker.sock',
        source: 'default',
        dockerodeOptions: { socketPath: '/var/run/docker.sock' },
      });
    });

    it('still names the default socket when it is missing and there is no Podman socket', () => {
      const r = resolveEngineHost(undefined, machine());
      assert.equal(r.host, 'unix:///var/run/docker.sock');
      assert.equal(r.source, 'default');
    });

    it('treats the context named "default" as no context', () => {
      const r = resolveEngineHost(
        undefined,
        machine({ DOCKER_CONTEXT: 'default' }, DEFAULT_SOCKET_FILE),
      );
      assert.equal(r.source, 'default');
    });

    it('ignores an empty setting and empty variables', () => {
      const r = resolveEngineHost(
        '  ',
        machine({ DOCKER_HOST: '', DOCKER_CONTEXT: '' }, DEFAULT_SOCKET_FILE),
      );
      assert.equal(r.source, 'default');
    });
  });

  describe('Podman', () => {
    it('uses the rootless Podman socket in $XDG_RUNTIME_DIR when the Docker socket is missing', () => {
      const r = resolveEngineHost(
        undefined,
        machine(
          { XDG_RUNTIME_DIR: '/run/user/1000' },
          { '/run/user/1000/podman/podman.sock': '', '/run/podman/podman.sock': '' },
        ),
      );
      assert.deepEqual(r, {
        host: 'unix:///run/user/1000/podman/podman.sock',
        source: 'podman',
        dockerodeOptions: { socketPath: '/run/user/1000/podman/podman.sock' },
      });
    });

    it('falls back to the rootful Podman socket', () => {
      const r = resolveEngineHost(
        undefined,
        machine({ XDG_RUNTIME_DIR: '/run/user/1000' }, { '/run/podman/podman.sock': '' }),
      );
      assert.equal(r.host, 'unix:///run/podman/podman.sock');
      assert.equal(r.source, 'podman');
    });

    it('prefers the Docker socket when it exists', () => {
      const r = resolveEngineHost(
        undefined,
        machine({}, { ...DEFAULT_SOCKET_FILE, '/run/podman/podman.sock': '' }),
      );
      assert.equal(r.source, 'default');
    });

    it('is not used when DOCKER_HOST is set', () => {
      const r = resolveEngineHost(
        undefined,
        machine({ DOCKER_HOST: 'unix:///srv/docker.sock' }, { '/run/podman/podman.sock': '' }),
      );
      assert.equal(r.source, 'DOCKER_HOST');
    });
  });

  describe('setting and DOCKER_HOST', () => {
    it('the setting wins over DOCKER_HOST and contexts', () => {
      const r = resolveEngineHost(
        'unix:///srv/engine.sock',
        machine({ DOCKER_HOST: 'tcp://10.0.0.1:2375', DOCKER_CONTEXT: 'remote' }),
      );
      assert.deepEqual(r, {
        host: 'unix:///srv/engine.sock',
        source: 'setting',
        dockerodeOptions: { socketPath: '/srv/engine.sock' },
      });
    });

    it('DOCKER_HOST wins over DOCKER_CONTEXT and currentContext', () => {
      const files = {
        [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'remote' }),
      };
      const r = resolveEngineHost(
        undefined,
        machine({ DOCKER_HOST: 'unix:///srv/docker.sock', DOCKER_CONTEXT: 'remote' }, files),
      );
      assert.equal(r.source, 'DOCKER_HOST');
      assert.equal(r.host, 'unix:///srv/docker.sock');
    });

    it('unix:// without a path means the default socket', () => {
      const r = resolveEngineHost(undefined, machine({ DOCKER_HOST: 'unix://' }));
      assert.deepEqual(r.dockerodeOptions, { socketPath: '/var/run/docker.sock' });
    });

    it('plain tcp:// gives http to host and port', () => {
      const r = resolveEngineHost(undefined, machine({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }));
      assert.deepEqual(r, {
        host: 'tcp://10.0.0.5:2375',
        source: 'DOCKER_HOST',
        dockerodeOptions: { host: '10.0.0.5', port: 2375, protocol: 'http' },
      });
    });

    it('tcp:// without a port uses 2375; without a host localhost; a bare host:port means tcp', () => {
      assert.equal(
        resolveEngineHost('tcp://engine.example', machine()).host,
        'tcp://engine.example:2375',
      );
      assert.deepEqual(resolveEngineHost('tcp://:2380', machine()).dockerodeOptions, {
        host: 'localhost',
        port: 2380,
        protocol: 'http',
      });
      assert.equal(
        resolveEngineHost('engine.example:2376', machine()).host,
        'tcp://engine.example:2376',
      );
    });

    it('tcp:// with an IPv6 address', () => {
      const r = resolveEngineHost('tcp://[::1]:2375', machine());
      assert.equal(r.host, 'tcp://[::1]:2375');
      assert.equal(r.dockerodeOptions.host, '::1');
    });

    it('DOCKER_TLS_VERIFY reads ca/cert/key from DOCKER_CERT_PATH', () => {
      const files = { '/certs/ca.pem': 'CA', '/certs/cert.pem': 'CERT', '/certs/key.pem': 'KEY' };
      const r = resolveEngineHost(
        undefined,
        machine(
          { DOCKER_HOST: 'tcp://engine:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
          files,
        ),
      );
      assert.deepEqual(r, {
        host: 'tcp://engine:2376',
        source: 'DOCKER_HOST',
        tls: {
          verify: true,
          caFile: '/certs/ca.pem',
          certFile: '/certs/cert.pem',
          keyFile: '/certs/key.pem',
        },
        dockerodeOptions: {
          host: 'engine',
          port: 2376,
          protocol: 'https',
          ca: 'CA',
          cert: 'CERT',
          key: 'KEY',
        },
      });
    });

    it('DOCKER_TLS_VERIFY without DOCKER_CERT_PATH looks in the Docker config folder (DOCKER_CONFIG first)', () => {
      const inHome = { [`${HOME}/.docker/ca.pem`]: 'CA' };
      assert.equal(
        resolveEngineHost('tcp://engine:2376', machine({ DOCKER_TLS_VERIFY: 'yes' }, inHome))
          .dockerodeOptions.ca,
        'CA',
      );
      const inConfig = { '/etc/docker-cfg/ca.pem': 'CA2' };
      assert.equal(
        resolveEngineHost(
          'tcp://engine:2376',
          machine({ DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: '/etc/docker-cfg' }, inConfig),
        ).dockerodeOptions.ca,
        'CA2',
      );
    });

    it('DOCKER_TLS (without verify) encrypts but does not verify', () => {
      const r = resolveEngineHost('tcp://engine:2376', machine({ DOCKER_TLS: '1' }));
      assert.deepEqual(r.tls, {
        verify: false,
        caFile: undefined,
        certFile: undefined,
        keyFile: undefined,
      });
      assert.equal(r.dockerodeOptions.protocol, 'https');
    });

    it('refuses TLS verification without a ca.pem, and a cert without its key', () => {
      assert.throws(
        () =>
          resolveEngineHost(
            'tcp://engine:2376',
            machine({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }),
          ),
        (e: Error) => {
          return (
            e instanceof EngineHostError && /ca\.pem/.test(e.message) && /\/certs/.test(e.message)
          );
        },
      );
      const files = { '/certs/ca.pem': 'CA', '/certs/cert.pem': 'CERT' };
      assert.throws(
        () =>
          resolveEngineHost(
            'tcp://engine:2376',
            machine({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, files),
          ),
        /cert\.pem and key\.pem/,
      );
    });

    it('ssh://user@host:port connects over ssh with the agent', () => {
      const r = resolveEngineHost(
        undefined,
        machine({
          DOCKER_HOST: 'ssh://deploy@build.example:2222',
          SSH_AUTH_SOCK: '/tmp/agent.sock',
        }),
      );
      assert.deepEqual(r, {
        host: 'ssh://deploy@build.example:2222',
        source: 'DOCKER_HOST',
        dockerodeOptions: {
          host: 'build.example',
          port: 2222,
          protocol: 'ssh',
          username: 'deploy',
          sshOptions: { agent: '/tmp/agent.sock' },
        },
      });
    });

    it('ssh:// without user or port uses $USER, port 22 and a key file when there is no agent', () => {
      const r = resolveEngineHost(
        'ssh://build.example',
        machine({ USER: 'ada' }, { [`${HOME}/.ssh/id_rsa`]: 'RSA KEY' }),
      );
      assert.equal(r.host, 'ssh://ada@build.example');
      assert.deepEqual(r.dockerodeOptions, {
        host: 'build.example',
        port: 22,
        protocol: 'ssh',
        username: 'ada',
        sshOptions: { agent: undefined, privateKey: 'RSA KEY' },
      });
    });

    it('rejects unsupported schemes, relative sockets and paths after the host, naming the source', () => {
      assert.throws(
        () =>
          resolveEngineHost(undefined, machine({ DOCKER_HOST: 'npipe:////./pipe/docker_engine' })),
        /DOCKER_HOST.*unsupported scheme "npipe:\/\/"/,
      );
      assert.throws(
        () => resolveEngineHost('unix://docker.sock', machine()),
        /^EngineHostError: The engine host given: "unix:\/\/docker\.sock" — a unix socket path must be absolute/,
      );
      assert.throws(
        () => resolveEngineHost('tcp://engine:2375/v1.41', machine()),
        /path after the host/,
      );
      assert.throws(() => resolveEngineHost('ssh://host/path', machine()), /path after the host/);
      assert.throws(() => resolveEngineHost('tcp://exa mple:1', machine()), EngineHostError);
    });
  });

  describe('messages name what the front end offers', () => {
    const cli = { name: '--host', hint: 'pass --host (-H) or set DOCKER_HOST' };

    it('the explicit host by the name the front end gives it, and no editor setting by default', () => {
      assert.throws(
        () => resolveEngineHost('unix://docker.sock', { ...machine(), choice: cli }),
        (e: unknown) =>
          e instanceof EngineHostError && e.message.startsWith('--host: "unix://docker.sock"'),
      );
      assert.throws(
        () => resolveEngineHost('unix://docker.sock', machine()),
        (e: unknown) => e instanceof Error && !/mastercopy\.dockerHost/.test(e.message),
      );
    });

    it('a missing context says how to choose another engine there', () => {
      assert.throws(
        () => resolveEngineHost(undefined, { ...machine({ DOCKER_CONTEXT: 'nope' }), choice: cli }),
        (e: unknown) =>
          e instanceof Error &&
          /set DOCKER_CONTEXT to another, or pass --host \(-H\) or set DOCKER_HOST\.$/.test(
            e.message,
          ),
      );
    });

    it('the resolved endpoint carries the hint for the engine client', () => {
      assert.equal(
        resolveEngineHost(undefined, { ...machine({}, DEFAULT_SOCKET_FILE), choice: cli }).hint,
        cli.hint,
      );
      assert.equal(resolveEngineHost(undefined, machine({}, DEFAULT_SOCKET_FILE)).hint, undefined);
    });
  });

  describe('contexts', () => {
    it('names the context folder by the sha256 of its name', () => {
      assert.equal(
        contextDirName('default'),
        '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f',
      );
    });

    it('DOCKER_CONTEXT selects a context and its endpoint', () => {
      const files = contextFiles('remote', { Host: 'tcp://10.1.2.3:2375', SkipTLSVerify: false });
      const r = resolveEngineHost(undefined, machine({ DOCKER_CONTEXT: 'remote' }, files));
      assert.deepEqual(r, {
        host: 'tcp://10.1.2.3:2375',
        source: 'context:remote',
        dockerodeOptions: { host: '10.1.2.3', port: 2375, protocol: 'http' },
      });
    });

    it('currentContext in config.json is used when DOCKER_CONTEXT is unset', () => {
      const files = {
        [`${HOME}/.docker/config.json`]: JSON.stringify({ auths: {}, currentContext: 'colima' }),
        ...contextFiles('colima', { Host: 'unix:///home/ada/.colima/default/docker.sock' }),
      };
      const r = resolveEngineHost(undefined, machine({}, files));
      assert.equal(r.source, 'context:colima');
      assert.deepEqual(r.dockerodeOptions, { socketPath: '/home/ada/.colima/default/docker.sock' });
    });

    it('DOCKER_CONTEXT wins over currentContext', () => {
      const files = {
        [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }),
        ...contextFiles('remote', { Host: 'ssh://ops@remote.example' }),
      };
      const r = resolveEngineHost(
        undefined,
        machine({ DOCKER_CONTEXT: 'remote', SSH_AUTH_SOCK: '/agent' }, files),
      );
      assert.equal(r.source, 'context:remote');
      assert.equal(r.host, 'ssh://ops@remote.example');
    });

    it('DOCKER_CONFIG moves config.json and the contexts', () => {
      const files = {
        '/cfg/config.json': JSON.stringify({ currentContext: 'ci' }),
        ...contextFiles('ci', { Host: 'unix:///run/ci.sock' }, '/cfg'),
      };
      const r = resolveEngineHost(undefined, machine({ DOCKER_CONFIG: '/cfg' }, files));
      assert.equal(r.host, 'unix:///run/ci.sock');
      assert.equal(r.source, 'context:ci');
    });

    it('a context with TLS material uses https with it', () => {
      const files = contextFiles(
        'secure',
        { Host: 'tcp://secure.example:2376', SkipTLSVerify: false },
        undefined,
        { 'ca.pem': 'CA', 'cert.pem': 'CERT', 'key.pem': 'KEY' },
      );
      const r = resolveEngineHost(undefined, machine({ DOCKER_CONTEXT: 'secure' }, files));
      const tlsDir = `${HOME}/.docker/contexts/tls/${contextDirName('secure')}/docker`;
      assert.deepEqual(r.tls, {
        verify: true,
        caFile: `${tlsDir}/ca.pem`,
        certFile: `${tlsDir}/cert.pem`,
        keyFile: `${tlsDir}/key.pem`,
      });
      assert.deepEqual(r.dockerodeOptions, {
        host: 'secure.example',
        port: 2376,
        protocol: 'https',
        ca: 'CA',
        cert: 'CERT',
        key: 'KEY',
      });
    });

    it('SkipTLSVerify turns verification off', () => {
      const files = contextFiles(
        'lab',
        { Host: 'tcp://lab:2376', SkipTLSVerify: true },
        undefined,
        { 'cert.pem': 'CERT', 'key.pem': 'KEY' },
      );
      const r = resolveEngineHost(undefined, machine({ DOCKER_CONTEXT: 'lab' }, files));
      assert.equal(r.tls?.verify, false);
      assert.equal(r.dockerodeOptions.protocol, 'https');
    });

    it('an unknown context, a context without a docker host and broken JSON are clear errors', () => {
      assert.throws(
        () => resolveEngineHost(undefined, machine({ DOCKER_CONTEXT: 'nope' })),
        (e: Error) => {
          return (
            e instanceof EngineHostError &&
            /context "nope" not found/.test(e.message) &&
            e.message.includes(contextDirName('nope'))
          );
        },
      );
      const noHost = contextFiles('empty', {});
      assert.throws(
        () => resolveEngineHost(undefined, machine({ DOCKER_CONTEXT: 'empty' }, noHost)),
        /no docker endpoint host/,
      );
      assert.throws(
        () =>
          resolveEngineHost(undefined, machine({}, { [`${HOME}/.docker/config.json`]: '{ nope' })),
        /config\.json is not valid JSON/,
      );
    });

    it('a config.json without currentContext means the default', () => {
      const r = resolveEngineHost(
        undefined,
        machine({}, { [`${HOME}/.docker/config.json`]: '{"auths":{}}', ...DEFAULT_SOCKET_FILE }),
      );
      assert.equal(r.source, 'default');
    });
  });
});
