// The Swarm target without an engine: the spec mapping (pure), and print, promote, scale and
// dispose against the fake engine (its "Swarm" completes or rolls back as a test says).
import * as assert from 'node:assert/strict';
import { serviceCreateOptions } from '../../../src/core/engine/DockerodeEngineClient';
import {
  LABEL_DIGEST,
  LABEL_NAME,
  LABEL_ROLE,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import { activeVersion, readLedger } from '../../../src/core/deploy/ledger';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { disposeService } from '../../../src/core/swarm/dispose';
import { printService } from '../../../src/core/swarm/print';
import {
  promoteService,
  SwarmPromoteError,
  type SwarmDeployEnvironment,
} from '../../../src/core/swarm/promote';
import { scaleService } from '../../../src/core/swarm/scale';
import { imageForNodes, SwarmError } from '../../../src/core/swarm/service';
import {
  LABEL_SERVICE_OF,
  monitorMs,
  restartCondition,
  serviceHealthCheck,
  serviceName,
  servicePorts,
  serviceSpec,
  swarmSecretName,
  updatePolicy,
} from '../../../src/core/swarm/spec';
import { splitDetails } from '../../../src/core/swarm/tasks';
import { FakeEngine } from '../copies/fakeEngine';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const MC: MasterCopy = {
  mastercopy: 1,
  name: 'demo',
  version: '1.0.0',
  from: 'busybox:stable',
  ports: [8080, { port: 9090, protocol: 'udp' }],
  health: {
    http: { port: 8080, path: '/health?x=$(reboot)' },
    interval: '500ms',
    retries: 2,
    startPeriod: '1s',
  },
  runtime: { memory: '64m', cpus: 0.5 },
  secrets: [{ name: 'API_TOKEN', fromEnv: 'TOKEN' }],
  labels: { team: 'payments', [LABEL_NAME]: 'spoofed' },
  copies: 3,
};
const INPUT = {
  image: 'demo:1.0.0',
  digest: DIGEST,
  replicas: 3,
  network: 'net1',
  secrets: { API_TOKEN: { id: 's1', name: 'mastercopy.demo.API_TOKEN.abc' } },
};

describe('Swarm service spec', () => {
  it('hardens every task like a copy: read-only, ALL dropped, no-new-privileges, init, limits', () => {
    const spec = serviceSpec(MC, INPUT);
    assert.equal(spec.name, 'mastercopy-demo');
    assert.equal(spec.readOnly, true);
    assert.deepEqual(spec.capDrop, ['ALL']);
    assert.equal(spec.noNewPrivileges, true);
    assert.equal(spec.init, true);
    assert.equal(spec.memoryBytes, 64 * 1024 * 1024);
    assert.equal(spec.cpus, 0.5);
    assert.deepEqual(spec.tmpfs, ['/tmp']);
    assert.equal(spec.replicas, 3);
    const raw = serviceCreateOptions(spec) as {
      TaskTemplate: {
        ContainerSpec: Record<string, unknown>;
        Resources: { Limits: Record<string, number> };
      };
      UpdateConfig: Record<string, unknown>;
      RollbackConfig: Record<string, unknown>;
    };
    const c = raw.TaskTemplate.ContainerSpec;
    assert.equal(c.ReadOnly, true);
    assert.deepEqual(c.CapabilityDrop, ['ALL']);
    assert.deepEqual(c.Privileges, { NoNewPrivileges: true });
    assert.equal(c.Init, true);
    assert.deepEqual(raw.TaskTemplate.Resources.Limits, {
      MemoryBytes: 64 * 1024 * 1024,
      NanoCPUs: 0.5e9,
    });
    assert.deepEqual(raw.UpdateConfig, {
      Parallelism: 1,
      Order: 'start-first',
      FailureAction: 'rollback',
      Monitor: 2000 * 1e6,
      Delay: 0,
      MaxFailureRatio: 0,
    });
    assert.equal(raw.RollbackConfig.Order, 'start-first');
  });

  it('labels: the master copy’s, then ours (ours win); tasks are not labelled as the local target’s copies', () => {
    const spec = serviceSpec(MC, { ...INPUT, extraLabels: { run: 'x' } });
    assert.equal(spec.labels[LABEL_NAME], 'demo');
    assert.equal(spec.labels[LABEL_VERSION], '1.0.0');
    assert.equal(spec.labels[LABEL_DIGEST], DIGEST);
    assert.equal(spec.labels.team, 'payments');
    assert.equal(spec.labels.run, 'x');
    assert.equal(spec.containerLabels[LABEL_SERVICE_OF], 'demo');
    assert.equal(spec.containerLabels[LABEL_ROLE], 'task');
  });

  it('secrets are files under /run/secrets; the env only names the file', () => {
    const spec = serviceSpec(MC, INPUT);
    assert.deepEqual(spec.secrets, [
      { id: 's1', name: 'mastercopy.demo.API_TOKEN.abc', file: 'API_TOKEN' },
    ]);
    assert.deepEqual(spec.env, { API_TOKEN_FILE: '/run/secrets/API_TOKEN' });
  });

  it('a secret’s name changes with its value and stays within 64 characters', () => {
    const a = swarmSecretName('demo', 'API_TOKEN', 'one');
    assert.match(a, /^mastercopy\.demo\.API_TOKEN\.[0-9a-f]{12}$/);
    assert.notEqual(a, swarmSecretName('demo', 'API_TOKEN', 'two'));
    assert.equal(a, swarmSecretName('demo', 'API_TOKEN', 'one'));
    assert.ok(!a.includes('one'));
    const long = swarmSecretName('a'.repeat(63), 'VERY_LONG_SECRET_NAME', 'v');
    assert.ok(long.length <= 64, long);
  });

  it('health.http is a GET inside the task whose URL is an argument, never shell code', () => {
    const check = serviceHealthCheck(MC)!;
    assert.ok(Array.isArray(check.command));
    const [sh, dashC, script, , url] = check.command as string[];
    assert.deepEqual([sh, dashC], ['sh', '-c']);
    assert.ok(!script.includes('reboot') && !script.includes('8080'), script);
    assert.equal(url, 'http://127.0.0.1:8080/health?x=$(reboot)');
    assert.equal(check.intervalMs, 500);
    assert.equal(check.retries, 2);
    const command = serviceHealthCheck({ ...MC, health: { command: ['true'] } })!;
    assert.deepEqual(command.command, ['true']);
  });

  it('ports: ingress by default, host as an option; the gateway publishes gateway.port → target', () => {
    assert.deepEqual(servicePorts(MC, 'ingress'), [
      { target: 8080, published: undefined, protocol: 'tcp', mode: 'ingress' },
      { target: 9090, published: undefined, protocol: 'udp', mode: 'ingress' },
    ]);
    const gw = { ...MC, gateway: { port: 80, target: 8080 } };
    assert.deepEqual(servicePorts(gw, 'host'), [
      { target: 9090, published: undefined, protocol: 'udp', mode: 'host' },
      { target: 8080, published: 80, protocol: 'tcp', mode: 'host' },
    ]);
    // A fixed port on the node holds one task: the old one stops first there.
    assert.equal(updatePolicy(gw, servicePorts(gw, 'host')).update.order, 'stop-first');
    assert.equal(updatePolicy(gw, servicePorts(gw, 'ingress')).update.order, 'start-first');
  });

  it('the monitor window is the start period plus retries × interval; restart policies map to Swarm’s', () => {
    assert.equal(monitorMs(MC), 1000 + 2 * 500);
    assert.equal(restartCondition(undefined), 'any');
    assert.equal(restartCondition('no'), 'none');
    assert.equal(restartCondition('on-failure'), 'on-failure');
    assert.equal(restartCondition('unless-stopped'), 'any');
  });

  it('reads the task attributes a service log line starts with', () => {
    assert.deepEqual(
      splitDetails('com.docker.swarm.node.id=n1,com.docker.swarm.task.id=t1 hello world'),
      {
        attributes: { 'com.docker.swarm.node.id': 'n1', 'com.docker.swarm.task.id': 't1' },
        text: 'hello world',
      },
    );
    assert.deepEqual(splitDetails('plain line'), { attributes: {}, text: 'plain line' });
  });
});

describe('Swarm target on the fake engine', () => {
  const env = { TOKEN: 'secret-value' };
  const deploy: SwarmDeployEnvironment = {
    who: { user: 'u', host: 'h', pid: process.pid },
    lock: { processAlive: () => true, hostName: 'h', pid: process.pid, now: () => Date.now() },
    git: async () => null,
    env,
    readFile: () => '',
  };
  function engineWithImages(...versions: string[]): FakeEngine {
    const engine = new FakeEngine();
    engine.makeSwarm();
    for (const v of versions)
      engine.images.set(`demo:${v}`, {
        id: `sha256:${v}`,
        tags: [`demo:${v}`],
        labels: { 'io.mastercopy.managed': 'true', [LABEL_DIGEST]: `d${v}` },
        created: '',
        size: 0,
      });
    return engine;
  }
  const source = (mc: MasterCopy) => ({
    kind: 'image' as const,
    mc,
    folder: '/tmp',
    gateway: null,
    autoscale: null,
  });

  it('refuses without a swarm, and on a worker', async () => {
    const engine = new FakeEngine();
    await assert.rejects(
      printService(engine, MC, '/tmp', { env, readFile: () => '' }),
      /not in a swarm/,
    );
    engine.swarm = { ...engine.swarm, state: 'active', controlAvailable: false };
    await assert.rejects(
      printService(engine, MC, '/tmp', { env, readFile: () => '' }),
      /swarm worker/,
    );
  });

  it('promotes by an update, records it, and records Swarm’s rollback as failed with its reason', async () => {
    const engine = engineWithImages('1.0.0', '1.1.0');
    const first = await promoteService(
      engine,
      { ...source(MC), image: { tag: 'demo:1.0.0', imageId: 'sha256:1.0.0', digest: 'd1' } },
      deploy,
    );
    assert.equal(first.status, 'rolled-back'); // an image source is a rollback's
    assert.equal(engine.secrets.length, 1);
    assert.ok(
      !JSON.stringify([...engine.services.values()].map((s) => s.spec)).includes('secret-value'),
    );
    const v2 = { ...MC, version: '1.1.0' };
    engine.nextUpdate = {
      state: 'rollback_completed',
      message: 'update rolled back due to failure',
    };
    await assert.rejects(
      promoteService(
        engine,
        { ...source(v2), image: { tag: 'demo:1.1.0', imageId: 'sha256:1.1.0', digest: 'd2' } },
        deploy,
      ),
      (e: unknown) =>
        e instanceof SwarmPromoteError &&
        /rolled the update back: update rolled back due to failure/.test(e.message),
    );
    const ledger = await readLedger(engine, 'demo');
    assert.equal(ledger[ledger.length - 1].outcome, 'failed');
    assert.match(ledger[ledger.length - 1].reason ?? '', /rolled the update back/);
    assert.equal(activeVersion(ledger)?.version, '1.0.0');
    const ok = await promoteService(
      engine,
      { ...source(v2), image: { tag: 'demo:1.1.0', imageId: 'sha256:1.1.0', digest: 'd2' } },
      deploy,
    );
    assert.equal(ok.replaced, '1.0.0');
    assert.ok(engine.calls.includes('updateService mastercopy-demo demo:1.1.0'));
  });

  it('scale changes only the replicas; dispose removes only ours', async () => {
    const engine = engineWithImages('1.0.0');
    await promoteService(
      engine,
      { ...source(MC), image: { tag: 'demo:1.0.0', imageId: 'sha256:1.0.0', digest: 'd1' } },
      deploy,
    );
    const scaled = await scaleService(engine, 'demo', 5);
    assert.equal(scaled.after, 5);
    assert.equal(scaled.running.length, 5);
    const foreign = engine.addForeignService('mastercopy-other');
    const result = await disposeService(engine, 'demo');
    assert.equal(result.service?.name, serviceName('demo'));
    assert.equal(result.secrets.length, 1);
    assert.ok(await engine.inspectService(foreign));
    await assert.rejects(scaleService(engine, 'other', 1), SwarmError);
  });

  it('needs a registry beyond one node, and then pushes the tagged image', async () => {
    const engine = engineWithImages('1.0.0');
    await assert.rejects(imageForNodes(engine, 'demo:1.0.0', 3, {}), /registry/);
    const ref = await imageForNodes(engine, 'demo:1.0.0', 3, {
      registry: 'registry.example:5000/team',
    });
    assert.equal(ref, 'registry.example:5000/team/demo:1.0.0');
    assert.deepEqual(engine.pushed, [ref]);
    await assert.rejects(
      imageForNodes(engine, 'demo:1.0.0', 3, { registry: 'Bad Registry;' }),
      /--registry/,
    );
  });
});
