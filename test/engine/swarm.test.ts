// The Swarm target against a real engine in single-node swarm mode (scripts/setup-engine.sh
// makes it one): print 3 hardened replicas, a rolling update to a new version, a version
// whose health never passes rolled back by Swarm itself and written to the ledger as
// failed, scale, and dispose that leaves a foreign service alone. Ports are published in
// host mode: the ingress routing mesh does not work on these machines (no IPVS).
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_NAME } from '../../src/core/engine/labels';
import { nodeReadSecretFile } from '../../src/core/copies/secrets';
import { activeVersion, forgetLedger, readLedger } from '../../src/core/deploy/ledger';
import { nodeLockDeps } from '../../src/core/deploy/nodeDeployEnvironment';
import { disposeService } from '../../src/core/swarm/dispose';
import { printService } from '../../src/core/swarm/print';
import {
  promoteService,
  SwarmPromoteError,
  type SwarmDeployEnvironment,
} from '../../src/core/swarm/promote';
import { scaleService } from '../../src/core/swarm/scale';
import { serviceName, swarmNetworkName } from '../../src/core/swarm/spec';
import { listServiceCopies } from '../../src/core/swarm/tasks';
import { runCli } from '../support/cli';
import {
  TEST_ENGINE_HOST,
  TEST_RUN_LABEL,
  cleanupTestRun,
  ensureEngine,
  rawDocker,
  testRunId,
  testRunLabels,
  waitFor,
} from '../support/engine';
import { smallCopy, uniqueName, type SmallCopy } from '../support/smallCopy';

const folders: string[] = [];
const SECRET_ENV = 'MC_SWARM_TEST_TOKEN';

/** An httpd master copy whose page says `title`; `healthPath` is what its health check GETs. */
function web(name: string, version: string, healthPath = '/health'): SmallCopy {
  return smallCopy(
    name,
    [
      'from: busybox:stable',
      'files:',
      '  - path: /srv/www/health',
      '    content: ok',
      '  - path: /srv/www/index.html',
      `    content: "v${version}"`,
      'command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/srv/www"]',
      'ports: [8080]',
      'health:',
      `  http: { port: 8080, path: ${healthPath} }`,
      '  interval: 500ms',
      '  timeout: 1s',
      '  retries: 2',
      '  startPeriod: 1s',
      'runtime:',
      '  memory: 64m',
      '  cpus: 0.5',
      'secrets:',
      `  - { name: API_TOKEN, fromEnv: ${SECRET_ENV} }`,
      'copies: 3',
      '',
    ].join('\n'),
    folders,
    {},
    version,
  );
}

describe('the Swarm target (real engine, single-node swarm, host-mode ports)', function () {
  this.timeout(240_000);
  let engine: EngineClient;
  const name = uniqueName('swarm');
  const env = { [SECRET_ENV]: 's3cret-value' };
  let deploy: SwarmDeployEnvironment;
  let foreignId: string | undefined;

  before(async () => {
    await ensureEngine();
    engine = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps({})));
    const info = await engine.swarmInfo();
    assert.equal(info.state, 'active', 'setup-engine.sh puts the engine in swarm mode');
    deploy = {
      who: { user: 'tester', host: 'test-host', pid: process.pid },
      lock: nodeLockDeps(),
      git: async () => null,
      env,
      readFile: nodeReadSecretFile,
      extraLabels: testRunLabels,
    };
  });

  after(async () => {
    const docker = rawDocker();
    // Services and secrets first (their tasks then leave the network), then what cleanupTestRun knows.
    for (const s of await docker.listServices({
      filters: { label: [`${TEST_RUN_LABEL}=${testRunId}`] },
    }))
      await docker
        .getService(s.ID)
        .remove()
        .catch(() => undefined);
    if (foreignId)
      await docker
        .getService(foreignId)
        .remove()
        .catch(() => undefined);
    await waitFor(
      'the services to be gone',
      async () =>
        (
          await docker.listContainers({
            all: true,
            filters: { label: [`io.mastercopy.service-of=${name}`] },
          })
        ).length === 0,
      60_000,
      250,
    ).catch(() => undefined);
    for (const s of await docker.listSecrets({
      filters: { label: [`${TEST_RUN_LABEL}=${testRunId}`] },
    }))
      await docker
        .getSecret(s.ID)
        .remove()
        .catch(() => undefined);
    await forgetLedger(engine, name).catch(() => undefined);
    await cleanupTestRun();
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  it('prints 3 hardened replicas: the service spec says so and 3 tasks run', async () => {
    const v1 = web(name, '1.0.0');
    const warnings: string[] = [];
    const result = await printService(engine, v1.mc, v1.folder, {
      onProgress: (e) => e.kind === 'warning' && warnings.push(e.text),
      env,
      readFile: nodeReadSecretFile,
      publishMode: 'host',
      extraLabels: testRunLabels,
    });
    assert.equal(
      result.running.length,
      3,
      `running: ${result.running.length}, failed: ${JSON.stringify(result.failed)}`,
    );

    const raw = (await rawDocker().getService(serviceName(name)).inspect()) as {
      Spec: {
        Labels: Record<string, string>;
        TaskTemplate: {
          ContainerSpec: {
            ReadOnly: boolean;
            CapabilityDrop: string[];
            Privileges: { NoNewPrivileges: boolean };
            Init: boolean;
            Env?: string[];
            Secrets: { SecretName: string; File: { Name: string } }[];
            Healthcheck: { Test: string[]; Interval: number; Retries: number; StartPeriod: number };
          };
          Resources: { Limits: { MemoryBytes: number; NanoCPUs: number } };
          Networks: { Target: string }[];
        };
        Mode: { Replicated: { Replicas: number } };
        UpdateConfig: {
          Order: string;
          FailureAction: string;
          Parallelism: number;
          Monitor: number;
        };
        EndpointSpec: { Ports: { TargetPort: number; PublishMode: string }[] };
      };
    };
    const c = raw.Spec.TaskTemplate.ContainerSpec;
    assert.equal(c.ReadOnly, true);
    assert.deepEqual(c.CapabilityDrop, ['ALL']);
    // API 1.41 (Docker 20.10, this machine's) accepts no-new-privileges in a service spec and forgets it: said, not assumed.
    const { apiVersion } = await engine.version();
    if (Number(apiVersion.split('.')[1]) >= 46) assert.equal(c.Privileges.NoNewPrivileges, true);
    else assert.match(warnings.join('\n'), /does not apply no-new-privileges/);
    assert.equal(c.Init, true);
    assert.equal(raw.Spec.TaskTemplate.Resources.Limits.MemoryBytes, 64 * 1024 * 1024);
    assert.equal(raw.Spec.TaskTemplate.Resources.Limits.NanoCPUs, 0.5e9);
    assert.equal(c.Healthcheck.Test[0], 'CMD');
    assert.ok(c.Healthcheck.Test.includes('http://127.0.0.1:8080/health'));
    assert.equal(c.Healthcheck.Interval, 500e6);
    assert.equal(c.Healthcheck.Retries, 2);
    assert.equal(raw.Spec.Mode.Replicated.Replicas, 3);
    assert.equal(raw.Spec.UpdateConfig.Order, 'start-first');
    assert.equal(raw.Spec.UpdateConfig.FailureAction, 'rollback');
    assert.equal(raw.Spec.UpdateConfig.Monitor, (1000 + 2 * 500) * 1e6);
    assert.equal(raw.Spec.EndpointSpec.Ports[0].PublishMode, 'host');
    // The secret is a Swarm secret, a file; the env only names it and never holds the value.
    assert.equal(c.Secrets.length, 1);
    assert.equal(c.Secrets[0].File.Name, 'API_TOKEN');
    assert.deepEqual(c.Env, ['API_TOKEN_FILE=/run/secrets/API_TOKEN']);
    assert.ok(!JSON.stringify(raw).includes('s3cret-value'));
    assert.equal(raw.Spec.Labels[LABEL_NAME], name);

    const copies = (await listServiceCopies(engine, { name }))[0].copies;
    assert.deepEqual(
      copies.map((t) => [t.index, t.state, t.version]),
      [
        [1, 'running', '1.0.0'],
        [2, 'running', '1.0.0'],
        [3, 'running', '1.0.0'],
      ],
    );
    // Host mode: each task its own port on the node, and it answers.
    const port = copies[0].ports[0].host;
    assert.ok(port, 'a host-mode port');
    const res = await fetch(`http://127.0.0.1:${port}/index.html`);
    assert.equal(await res.text(), 'v1.0.0');
  });

  it('promotes to 1.1.0 by a rolling update: it completes, the old tasks are gone, the ledger says promoted', async () => {
    // The first promote records 1.0.0 as active (the service runs it already).
    await promoteService(engine, { kind: 'file', ...web(name, '1.0.0') }, deploy, {
      publishMode: 'host',
    });
    const v2 = web(name, '1.1.0');
    const states: string[] = [];
    const result = await promoteService(
      engine,
      { kind: 'file', mc: v2.mc, folder: v2.folder },
      deploy,
      {
        publishMode: 'host',
        onProgress: (e) => e.kind === 'update' && states.push(e.state),
      },
    );
    assert.equal(result.status, 'promoted');
    assert.equal(result.replaced, '1.0.0');
    assert.ok(states.includes('completed'), `Swarm's states: ${states.join(', ')}`);
    const copies = (await listServiceCopies(engine, { name }))[0].copies;
    assert.equal(copies.length, 3);
    assert.ok(
      copies.every((t) => t.version === '1.1.0' && t.state === 'running'),
      JSON.stringify(copies),
    );
    await waitFor('the old tasks to be gone', async () => {
      const all = (await listServiceCopies(engine, { name, all: true }))[0].copies;
      return (
        all.filter((t) => t.version === '1.0.0' && ['running', 'starting'].includes(t.state))
          .length === 0
      );
    });
    const active = activeVersion(await readLedger(engine, name));
    assert.equal(active?.version, '1.1.0');
    assert.equal(active?.record.outcome, 'promoted');
  });

  it('a version whose health never passes is rolled back by Swarm, and the ledger says so', async () => {
    const bad = web(name, '1.2.0', '/missing');
    await assert.rejects(
      promoteService(engine, { kind: 'file', mc: bad.mc, folder: bad.folder }, deploy, {
        publishMode: 'host',
      }),
      (e: unknown) => e instanceof SwarmPromoteError && /rolled the update back/.test(e.message),
    );
    const ledger = await readLedger(engine, name);
    const last = ledger[ledger.length - 1];
    assert.equal(last.version, '1.2.0');
    assert.equal(last.outcome, 'failed');
    assert.match(last.reason ?? '', /rolled the update back/);
    assert.equal(activeVersion(ledger)?.version, '1.1.0');
    const copies = (await listServiceCopies(engine, { name }))[0].copies;
    assert.ok(
      copies.length === 3 && copies.every((t) => t.version === '1.1.0'),
      JSON.stringify(copies),
    );
  });

  it('scales to 1 and back to 2, through the CLI', async () => {
    const down = await runCli([
      'scale',
      '--target',
      'swarm',
      name,
      '1',
      '--host',
      TEST_ENGINE_HOST,
      '-q',
    ]);
    assert.equal(down.code, 0, down.stderr);
    const result = await scaleService(engine, name, 2);
    assert.equal(result.running.length, 2);
    const ps = await runCli([
      'ps',
      '--target',
      'swarm',
      name,
      '--json',
      '--host',
      TEST_ENGINE_HOST,
    ]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.equal((JSON.parse(ps.stdout) as unknown[]).length, 2);
    const history = await runCli([
      'history',
      '--target',
      'swarm',
      name,
      '--host',
      TEST_ENGINE_HOST,
    ]);
    assert.match(history.stdout, /1\.2\.0\s+failed/);
  });

  it('dispose removes only our service, its secrets and its network: a foreign service survives', async () => {
    const docker = rawDocker();
    const foreign = (await docker.createService({
      Name: `foreign-${testRunId}`,
      Labels: { [LABEL_NAME]: name },
      TaskTemplate: { ContainerSpec: { Image: 'busybox:stable', Args: ['sleep', '600'] } },
      Mode: { Replicated: { Replicas: 1 } },
    })) as unknown as { id?: string; ID?: string };
    foreignId = foreign.id ?? foreign.ID;
    const result = await disposeService(engine, name);
    assert.equal(result.service?.name, serviceName(name));
    assert.ok(result.secrets.length >= 1);
    assert.deepEqual(result.networks, [swarmNetworkName(name)]);
    assert.equal(await engine.inspectService(serviceName(name)), undefined);
    assert.ok(await engine.inspectService(foreignId!), 'the foreign service is still there');
    assert.equal((await engine.listSecrets({ [LABEL_NAME]: name })).length, 0);
    await docker.getService(foreignId!).remove();
    foreignId = undefined;
  });
});
