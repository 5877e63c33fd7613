// A remote engine through a real sshd (issue 14, defect 15): with DOCKER_HOST=ssh://… the CLI
// builds, prints, lists, shows logs and disposes through ssh, and a print's `health.http` is
// judged where the copies run — by probe containers on the master copy's network — never by
// this machine's loopback. To tell the two apart the copies' health answers 503 to whatever
// comes from the host (through the published port: the network's gateway address) and 200
// to the rest of the network, so a print that probed from here could never be healthy.
import * as assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { isAbortError } from '../../src/core/engine/errors';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_MANAGED, LABEL_ROLE } from '../../src/core/engine/labels';
import { ROLE_KEEPER_IMAGE } from '../../src/core/keeper/keeperContainer';
import { LABEL_PROBE_OF, ROLE_PROBE } from '../../src/core/keeper/probeContainer';
import { runCli } from '../support/cli';
import {
  cleanupTestRun,
  ensureEngine,
  rawDocker,
  TEST_ENGINE_HOST,
  testRunLabels,
} from '../support/engine';
import { repoRoot } from '../support/repoRoot';
import {
  acceptedConnections,
  ensureSshd,
  startSshAgent,
  type SshAgent,
  type SshEngine,
} from '../support/sshEngine';
import {
  forgetNames,
  oursOf,
  removeFolders,
  smallCopy,
  uniqueName,
  type SmallCopy,
} from '../support/smallCopy';

/** 503 for the host (the network's gateway), 200 for the copies' network; each answer logged. */
const HEALTH_CGI = `#!/bin/sh
gw=$(ip route | awk '$1 == "default" { print $3; exit }')
case "$REMOTE_ADDR" in
  "$gw" | *:"$gw" | *:"$gw]")
    echo "health: 503 for the host $REMOTE_ADDR" >&2
    printf 'HTTP/1.1 503 Service Unavailable\\r\\nContent-Type: text/plain\\r\\n\\r\\nnot from the host\\n' ;;
  *)
    echo "health: 200 for $REMOTE_ADDR" >&2
    printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n' ;;
esac
`;

const BODY = `from: busybox:stable
files:
  - path: /srv/www/cgi-bin/health
    source: ./health.sh
    mode: "0755"
  - path: /srv/www/index.html
    content: hello
user: "1000"
command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/srv/www"]
ports: [8080]
health:
  http: { port: 8080, path: /cgi-bin/health }
  interval: 500ms
  timeout: 2s
  retries: 2
  startPeriod: 0s
copies: 2
`;

function get(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The engine's container events of our probe containers between two times (ms), as "action copyId". */
async function probeEvents(since: number, until: number): Promise<string[]> {
  const stream = (await rawDocker().getEvents({
    since: Math.floor(since / 1000),
    until: Math.ceil(until / 1000) + 1,
    filters: {
      type: ['container'],
      label: [`${LABEL_ROLE}=${ROLE_PROBE}`, `${LABEL_MANAGED}=true`],
    },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } })
    .filter((e) => e.Action === 'create' || e.Action === 'destroy')
    .map((e) => `${e.Action} ${e.Actor.Attributes[LABEL_PROBE_OF]}`);
}

function keeperImages() {
  return rawDocker().listImages({
    filters: { label: [`${LABEL_ROLE}=${ROLE_KEEPER_IMAGE}`, `${LABEL_MANAGED}=true`] },
  });
}

describe('a remote engine through a real sshd (ssh://): build, print, ps, logs, dispose', () => {
  const folders: string[] = [];
  let ssh: SshEngine;
  let agent: SshAgent | undefined;
  let local: EngineClient;
  let svc: SmallCopy;
  const cli = (args: string[]) =>
    runCli(args, {
      env: {
        ...process.env,
        DOCKER_HOST: ssh.host,
        SSH_AUTH_SOCK: agent!.socket,
        // The bundle's keeper program: the in-process CLI is not beside it here.
        MASTERCOPY_KEEPER_SCRIPT: join(repoRoot(), 'dist', 'keeper.js'),
      },
    });
  let keeperImagesBefore = new Set<string>();
  let printed: { id: string; index: number; ports: { container: number; host: number }[] }[] = [];

  before(async () => {
    await ensureEngine();
    ssh = await ensureSshd();
    agent = await startSshAgent(ssh.keyPath);
    local = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
    svc = smallCopy(uniqueName('remote'), BODY, folders, { 'health.sh': HEALTH_CGI });
    keeperImagesBefore = new Set((await keeperImages()).map((i) => i.Id));
  });

  after(async () => {
    // (Nothing was printed when the sshd could not be had.)
    if (svc) await forgetNames(local, [svc.mc.name]);
    // The probe's keeper image, if this test built it (the CLI's carries no run label); one in use stays.
    for (const i of await keeperImages())
      if (!keeperImagesBefore.has(i.Id))
        await rawDocker()
          .getImage(i.Id)
          .remove()
          .catch(() => undefined);
    await agent?.stop();
    removeFolders(folders);
  });

  it('builds through ssh', async () => {
    const before = acceptedConnections(ssh);
    const r = await cli(['build', '--quiet', svc.file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${svc.mc.name}:1\\.0\\.0`));
    assert.ok(acceptedConnections(ssh) > before, 'the requests went through the sshd');
  });

  it('prints healthy copies judged by probe containers on their network, which the client could not judge', async () => {
    const started = Date.now();
    const r = await cli(['print', '--json', '--quiet', svc.file]);
    const ended = Date.now();
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      status: string;
      build: string;
      copies: typeof printed;
    };
    assert.equal(result.status, 'healthy');
    assert.equal(result.build, 'up-to-date');
    printed = result.copies;
    assert.equal(printed.length, 2);

    // From this machine, the published port says 503: a client-side probe would never pass.
    for (const c of printed) {
      const hostPort = c.ports.find((p) => p.container === 8080)?.host;
      assert.ok(hostPort, JSON.stringify(c.ports));
      assert.equal(await get(hostPort, '/cgi-bin/health'), 503);
    }
    // Each copy was judged by a probe container of its own, created and removed through the engine.
    const events = await probeEvents(started, ended);
    for (const c of printed) {
      assert.ok(
        events.includes(`create ${c.id}`),
        `no probe container for ${c.id}: ${events.join(', ')}`,
      );
      assert.equal(
        events.filter((e) => e === `create ${c.id}`).length,
        events.filter((e) => e === `destroy ${c.id}`).length,
        `every probe container of ${c.id} was removed: ${events.join(', ')}`,
      );
    }
    const left = await rawDocker().listContainers({
      all: true,
      filters: { label: [`${LABEL_ROLE}=${ROLE_PROBE}`] },
    });
    assert.deepEqual(
      left.filter((c) => printed.some((p) => p.id === c.Labels[LABEL_PROBE_OF])),
      [],
    );
  });

  it('lists the copies through ssh (ps)', async () => {
    const r = await cli(['ps', svc.mc.name]);
    assert.equal(r.code, 0, r.stderr);
    for (const c of printed) assert.ok(r.stdout.includes(c.id.slice(0, 12)), r.stdout);
    assert.equal((r.stdout.match(/running/g) ?? []).length, 2, r.stdout);
  });

  it("shows the copies' logs through ssh: the health answers the probes got, from the network", async () => {
    const r = await cli(['logs', '--no-color', svc.mc.name]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 \| health: 200 for /m);
    assert.match(r.stdout, /^1 \| health: 200 for /m);
    assert.match(r.stdout, /health: 503 for the host /, 'the request this test sent from the host');
  });

  it('disposes of the copies through ssh, and of their network', async () => {
    const r = await cli(['dispose', '--yes', svc.mc.name]);
    assert.equal(r.code, 0, r.stderr);
    const left = await oursOf(svc.mc.name);
    assert.deepEqual(left.containers, []);
    assert.deepEqual(left.networks, []);
  });
});

describe("the engine client's runToCompletion (how a probe container is run)", () => {
  let engine: EngineClient;
  const marker = uniqueName('run');
  const spec = (command: string[]) => ({
    image: 'busybox:stable',
    command,
    labels: { ...testRunLabels, [LABEL_ROLE]: marker },
    readOnly: true,
    capDrop: ['ALL'],
    noNewPrivileges: true,
    restart: 'no' as const,
    network: 'none',
  });
  const left = async () =>
    (
      await rawDocker().listContainers({
        all: true,
        filters: { label: [`${LABEL_ROLE}=${marker}`] },
      })
    ).length;

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
  });
  after(() => cleanupTestRun());

  it('gives its exit code, stdout and stderr, and removes it', async () => {
    const r = await engine.runToCompletion(spec(['sh', '-c', 'echo out; echo err >&2; exit 3']), {
      timeoutMs: 20_000,
    });
    assert.deepEqual(r, { exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    assert.equal(await left(), 0);
  });

  it('kills and removes one that does not end in time (exit code undefined)', async () => {
    const r = await engine.runToCompletion(spec(['sleep', '60']), { timeoutMs: 1000 });
    assert.equal(r.exitCode, undefined);
    assert.equal(await left(), 0);
  });

  it('removes it when the caller aborts, and rejects with the abort', async () => {
    const signal = AbortSignal.timeout(1000);
    await assert.rejects(
      engine.runToCompletion(spec(['sleep', '60']), { timeoutMs: 60_000 }, signal),
      (e: unknown) => isAbortError(e),
    );
    assert.equal(await left(), 0);
  });
});
