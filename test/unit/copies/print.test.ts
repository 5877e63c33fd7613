import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { planBuild } from '../../../src/core/build/plan';
import { disposeCopies, findDisposeTargets } from '../../../src/core/copies/dispose';
import { CopiesError, PortTakenError, SecretError } from '../../../src/core/copies/errors';
import type { HttpProbe } from '../../../src/core/copies/health';
import {
  ensureNetwork,
  printCopies,
  resolveVolumeNames,
  type PrintEvent,
  type PrintOptions,
} from '../../../src/core/copies/print';
import { compareVersions, listCopies } from '../../../src/core/copies/ps';
import { scaleCopies } from '../../../src/core/copies/scale';
import { EngineRequestError } from '../../../src/core/engine/errors';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_ROLE,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { LABEL_HEALTH_HTTP } from '../../../src/core/copies/spec';
import { FakeEngine } from './fakeEngine';

const SECRET = 'pa55-w0rd-value';
const MC: MasterCopy = {
  mastercopy: 1,
  name: 'demo',
  version: '1.0.0',
  from: 'busybox:stable',
  ports: [8080],
  secrets: [{ name: 'DB_PASSWORD', fromEnv: 'DB_PASSWORD' }],
  volumes: [{ name: 'data', path: '/data' }],
};

describe('printing copies (fake engine)', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-print-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  /** An engine that has the image of `mc` built already (so print does not build). */
  async function engineWithImage(mc: MasterCopy = MC): Promise<FakeEngine> {
    const engine = new FakeEngine();
    const { digest, tag } = await planBuild(mc, folder, nodeBuildFileSystem);
    engine.images.set(tag, {
      id: `sha256:${mc.version}`,
      tags: [tag],
      labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_NAME]: mc.name,
        [LABEL_VERSION]: mc.version,
        [LABEL_DIGEST]: digest,
      },
      created: '',
      size: 0,
    });
    return engine;
  }
  const options = (more: Partial<PrintOptions> = {}): PrintOptions => ({
    env: { DB_PASSWORD: SECRET },
    readFile: () => '',
    ...more,
  });

  it('prints N copies in parallel with indices 0…N-1, a network and volumes of ours; the secret only in env', async () => {
    const engine = await engineWithImage();
    const events: PrintEvent[] = [];
    const result = await printCopies(
      engine,
      MC,
      folder,
      options({ copies: 3, onProgress: (e) => events.push(e) }),
    );
    assert.equal(result.build.status, 'up-to-date');
    assert.deepEqual(
      result.copies.map((c) => c.index),
      [0, 1, 2],
    );
    assert.deepEqual(
      result.copies.map((c) => c.name),
      ['demo_1.0.0_0', 'demo_1.0.0_1', 'demo_1.0.0_2'],
    );
    assert.ok(
      result.copies.every(
        (c) => c.ports[0].hostIp === '127.0.0.1' && typeof c.ports[0].hostPort === 'number',
      ),
    );
    assert.deepEqual(
      engine.networks.map((n) => [n.name, n.labels[LABEL_NAME]]),
      [['mastercopy-demo', 'demo']],
    );
    // (The desired-count records are volumes too: left out here, they have a role.)
    assert.deepEqual(
      engine.volumes
        .filter((v) => !v.labels[LABEL_ROLE])
        .map((v) => [v.name, v.labels[LABEL_NAME]]),
      [['mastercopy_demo_data', 'demo']],
    );
    for (const c of engine.containers.values()) {
      assert.deepEqual(c.spec.env, { DB_PASSWORD: SECRET });
      assert.ok(!JSON.stringify(c.labels).includes(SECRET));
      assert.equal(
        c.spec.network,
        engine.networks[0].id,
        'the network by id: a name can be ambiguous',
      );
    }
    assert.ok(!JSON.stringify(events).includes(SECRET), 'no progress event carries the secret');
    assert.ok(!JSON.stringify(result).includes(SECRET), 'the result does not carry the secret');
  });

  it('adds to existing copies: indices continue after the highest, the network is reused', async () => {
    const engine = await engineWithImage();
    await printCopies(engine, MC, folder, options({ copies: 3 }));
    // A gap (copy 1 gone) does not matter: the highest counts.
    const one = [...engine.containers.values()].find((c) => c.labels[LABEL_COPY] === '1');
    engine.containers.delete(one!.id);
    const more = await printCopies(engine, MC, folder, options({ copies: 2 }));
    assert.deepEqual(
      more.copies.map((c) => c.index),
      [3, 4],
    );
    assert.equal(engine.calls.filter((c) => c.startsWith('createNetwork')).length, 1);
  });

  it('stops before anything starts when a secret is missing', async () => {
    const engine = await engineWithImage();
    await assert.rejects(
      printCopies(engine, MC, folder, options({ env: {} })),
      (e: Error) => e instanceof SecretError && /DB_PASSWORD/.test(e.message),
    );
    assert.deepEqual(engine.calls, [], 'not even a list');
  });

  it('is all or nothing: when one copy cannot start, the started ones are removed again', async () => {
    const engine = await engineWithImage();
    engine.failCreate = { at: 2, error: new EngineRequestError('start', 500, 'boom') };
    await assert.rejects(printCopies(engine, MC, folder, options({ copies: 4 })), /boom/);
    assert.equal(engine.containers.size, 0);
  });

  it('says clearly when a fixed host port is taken, and refuses a fixed port for several copies', async () => {
    const mc: MasterCopy = { ...MC, ports: [{ port: 8080, hostPort: 18080 }] };
    const engine = await engineWithImage(mc);
    engine.failCreate = {
      at: 0,
      error: new EngineRequestError(
        'start',
        500,
        'driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:18080 failed: port is already allocated',
      ),
    };
    await assert.rejects(printCopies(engine, mc, folder, options({ copies: 1 })), (e: Error) => {
      assert.ok(e instanceof PortTakenError, e.message);
      assert.equal(e.hostPort, 18080);
      assert.match(e.message, /127\.0\.0\.1:18080 .*already taken/);
      return true;
    });
    await assert.rejects(
      printCopies(engine, mc, folder, options({ copies: 2 })),
      (e: Error) => e instanceof CopiesError && /fixed host port 18080/.test(e.message),
    );
  });

  it('refuses a same-named volume that is not ours', async () => {
    const engine = await engineWithImage();
    engine.volumes.push({ name: 'mastercopy_demo_data', driver: 'local', labels: {} });
    await assert.rejects(
      printCopies(engine, MC, folder, options()),
      (e: Error) => e instanceof CopiesError && /not created by Master Copy/.test(e.message),
    );
    assert.equal(engine.containers.size, 0);
  });

  it('reports copies whose HTTP health never passes, with their last log lines, once their retries are spent', async () => {
    const mc: MasterCopy = {
      ...MC,
      health: {
        http: { port: 8080, path: '/health' },
        interval: '10ms',
        timeout: '10ms',
        retries: 2,
        startPeriod: '0s',
      },
    };
    const engine = await engineWithImage(mc);
    const probed: string[] = [];
    const probe: HttpProbe = async (url) => {
      probed.push(`${url.host}:${url.port}${url.path}`);
      return url.port === engine.containers.values().next().value!.hostPorts[0] ? 200 : 404;
    };
    const origCreate = engine.createAndStartContainer.bind(engine);
    engine.createAndStartContainer = async (spec) => {
      const r = await origCreate(spec);
      engine.containers.get(r.id)!.log = Array.from({ length: 30 }, (_, i) => ({
        stream: 'stdout' as const,
        ts: '2026-11-25T12:00:00.000000000Z',
        text: `line ${i}`,
      }));
      return r;
    };
    const result = await printCopies(
      engine,
      mc,
      folder,
      options({ copies: 2, probe, logLines: 5 }),
    );
    assert.ok(probed.every((p) => p.startsWith('127.0.0.1:') && p.endsWith('/health')));
    assert.equal(result.unhealthy.length, 1);
    assert.equal(result.unhealthy[0].index, 1);
    assert.match(result.unhealthy[0].reason, /2 probes in a row failed.*answered 404/);
    assert.deepEqual(result.unhealthy[0].lastLogLines, [
      'line 25',
      'line 26',
      'line 27',
      'line 28',
      'line 29',
    ]);
  });

  it("waits for the engine's health status with health.command", async () => {
    const mc: MasterCopy = {
      ...MC,
      health: { command: ['/bin/true'], interval: '10ms', retries: 1, startPeriod: '0s' },
    };
    const engine = await engineWithImage(mc);
    const origCreate = engine.createAndStartContainer.bind(engine);
    engine.createAndStartContainer = async (spec) => {
      const r = await origCreate(spec);
      setTimeout(
        () =>
          (engine.containers.get(r.id)!.health =
            spec.labels[LABEL_COPY] === '0' ? 'healthy' : 'unhealthy'),
        30,
      );
      return r;
    };
    const result = await printCopies(engine, mc, folder, options({ copies: 2 }));
    assert.deepEqual(
      result.unhealthy.map((u) => u.index),
      [1],
    );
    assert.match(result.unhealthy[0].reason, /health command failed/);
  });

  it('cancelling while copies are created removes them and rejects', async () => {
    const engine = await engineWithImage();
    const ac = new AbortController();
    const origCreate = engine.createAndStartContainer.bind(engine);
    engine.createAndStartContainer = async (spec) => {
      const r = await origCreate(spec);
      ac.abort(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      return r;
    };
    await assert.rejects(
      printCopies(engine, MC, folder, options({ copies: 3, signal: ac.signal })),
      /cancelled/,
    );
    assert.equal(engine.containers.size, 0);
  });

  it('scales down by removing the highest indices, and up by printing the difference', async () => {
    const engine = await engineWithImage();
    await printCopies(engine, MC, folder, options({ copies: 5 }));
    const down = await scaleCopies(engine, MC, folder, 2, options());
    assert.deepEqual(
      down.removed.map((c) => c.index),
      [4, 3, 2],
    );
    assert.deepEqual([...engine.containers.values()].map((c) => c.labels[LABEL_COPY]).sort(), [
      '0',
      '1',
    ]);
    const up = await scaleCopies(engine, MC, folder, 4, options());
    assert.deepEqual(
      up.printed?.copies.map((c) => c.index),
      [2, 3],
    );
    const same = await scaleCopies(engine, MC, folder, 4, options());
    assert.deepEqual(
      [same.before, same.after, same.removed.length, same.printed],
      [4, 4, 0, undefined],
    );
  });

  it('disposes only our copies: a foreign container with a similar name survives; the network goes last', async () => {
    const engine = await engineWithImage();
    await printCopies(engine, MC, folder, options({ copies: 2 }));
    const foreign = engine.addForeign('demo_1.0.0_0-foreign', {
      [LABEL_NAME]: 'demo',
      [LABEL_VERSION]: '1.0.0',
      [LABEL_COPY]: '0',
    });
    const result = await disposeCopies(engine, { name: 'demo', version: '1.0.0' });
    assert.equal(result.disposed.length, 2);
    assert.deepEqual([...engine.containers.keys()], [foreign]);
    assert.deepEqual(result.networksRemoved, ['mastercopy-demo']);
    assert.deepEqual(engine.networks, []);
    assert.equal(
      engine.volumes.filter((v) => !v.labels[LABEL_ROLE]).length,
      1,
      'volumes are state: they stay',
    );
  });

  it(
    'dispose targets: NAME with several versions is refused, --all takes them all, ' +
      'a copy by id prefix or name, confirm can say no',
    async () => {
      const engine = await engineWithImage();
      const v2: MasterCopy = { ...MC, version: '2.0.0' };
      const { digest } = await planBuild(v2, folder, nodeBuildFileSystem);
      engine.images.set('demo:2.0.0', {
        id: 'sha256:2',
        tags: ['demo:2.0.0'],
        labels: { [LABEL_MANAGED]: 'true', [LABEL_NAME]: 'demo', [LABEL_DIGEST]: digest },
        created: '',
        size: 0,
      });
      await printCopies(engine, MC, folder, options({ copies: 2 }));
      const printed = await printCopies(engine, v2, folder, options({ copies: 1 }));

      await assert.rejects(
        findDisposeTargets(engine, { name: 'demo' }),
        (e: Error) => e instanceof CopiesError && /1\.0\.0, 2\.0\.0/.test(e.message),
      );
      await assert.rejects(findDisposeTargets(engine, { copy: 'ffff' }), /No copy/);
      await assert.rejects(
        findDisposeTargets(engine, { ref: 'nothing-here' }),
        /Nothing to dispose for nothing-here/,
      );
      assert.deepEqual(
        (await findDisposeTargets(engine, { copy: printed.copies[0].id.slice(0, 20) })).map(
          (c) => c.version,
        ),
        ['2.0.0'],
      );
      assert.deepEqual(
        (await findDisposeTargets(engine, { ref: 'demo_1.0.0_1' })).map((c) => c.index),
        [1],
      );

      const no = await disposeCopies(engine, { name: 'demo', all: true }, { confirm: () => false });
      assert.equal(no.cancelled, true);
      assert.equal(engine.containers.size, 3);

      const one = await disposeCopies(engine, { copy: printed.copies[0].id });
      assert.deepEqual(one.networksRemoved, [], 'copies of 1.0.0 remain: the network stays');
      const all = await disposeCopies(
        engine,
        { name: 'demo', all: true },
        { confirm: (copies) => copies.length === 2 },
      );
      assert.equal(all.disposed.length, 2);
      assert.equal(engine.containers.size, 0);
      assert.deepEqual(all.networksRemoved, ['mastercopy-demo']);
    },
  );

  it('lists copies as stable records: sorted, ports, digest matching, health from the engine or a probe', async () => {
    const mc: MasterCopy = {
      ...MC,
      health: { http: { port: 8080, path: '/health' }, interval: '10ms', startPeriod: '0s' },
    };
    const engine = await engineWithImage(mc);
    await printCopies(engine, mc, folder, options({ copies: 2, probe: async () => 200 }));
    engine.addForeign('demo_1.0.0_9', {
      [LABEL_NAME]: 'demo',
      [LABEL_VERSION]: '1.0.0',
      [LABEL_COPY]: '9',
    });
    const records = await listCopies(engine, {
      name: 'demo',
      probe: async (url) => (url.path === '/health' ? 204 : 500),
    });
    assert.deepEqual(
      records.map((r) => r.index),
      [0, 1],
      'the foreign container is not listed',
    );
    const r = records[0];
    assert.deepEqual(Object.keys(r), [
      'name',
      'version',
      'index',
      'id',
      'shortId',
      'state',
      'health',
      'ports',
      'image',
      'digest',
      'digestMatches',
    ]);
    assert.equal(r.shortId, r.id.slice(0, 12));
    assert.equal(r.state, 'running');
    assert.equal(r.health, 'healthy');
    assert.equal(r.image, 'demo:1.0.0');
    assert.equal(r.digestMatches, true);
    assert.deepEqual(r.ports, [
      { container: 8080, protocol: 'tcp', host: r.ports[0].host, hostIp: '127.0.0.1' },
    ]);
    assert.equal(
      (await listCopies(engine, { name: 'demo' }))[0].health,
      'none',
      'no probe: the engine does not know',
    );

    // The image of that version is replaced (rebuilt after a removal): the copies no longer match it.
    engine.images.get('demo:1.0.0')!.labels[LABEL_DIGEST] = 'sha256:other';
    assert.equal((await listCopies(engine))[0].digestMatches, false);
  });

  it("lists every copy when one copy's label holds a path no probe can send (an older version wrote it)", async () => {
    const mc: MasterCopy = {
      ...MC,
      health: { http: { port: 8080, path: '/health' }, interval: '10ms', startPeriod: '0s' },
    };
    const engine = await engineWithImage(mc);
    await printCopies(engine, mc, folder, options({ copies: 2, probe: async () => 200 }));
    const [first] = [...engine.containers.values()];
    first.labels[LABEL_HEALTH_HTTP] = '8080 /a\tb';
    const probe: HttpProbe = async (url) => {
      if (url.path !== '/health') throw new TypeError('Request path contains unescaped characters');
      return 200;
    };
    const records = await listCopies(engine, { name: 'demo', probe });
    assert.deepEqual(
      records.map((r) => [r.index, r.health]),
      [
        [0, 'unhealthy'],
        [1, 'healthy'],
      ],
    );
  });

  it('sorts versions numerically', () => {
    assert.deepEqual(['1.10.0', '1.9.0', '1.2.0', '1.2.0-rc1', '0.9'].sort(compareVersions), [
      '0.9',
      '1.2.0',
      '1.2.0-rc1',
      '1.9.0',
      '1.10.0',
    ]);
  });

  it('two prints at once that both create the network end up on one network, by id; a duplicate is repaired', async () => {
    const engine = new FakeEngine();
    engine.duplicateNetworks = true;
    const [a, b] = await Promise.all([
      ensureNetwork(engine, 'demo', {}),
      ensureNetwork(engine, 'demo', {}),
    ]);
    assert.equal(a.id, b.id);
    assert.deepEqual(
      engine.networks.map((n) => n.id),
      [a.id],
    );
    // A duplicate an older version left: the next print keeps one and removes the other.
    engine.networks.push({
      id: 'net-zzz-older-duplicate',
      name: 'mastercopy-demo',
      driver: 'bridge',
      labels: { ...engine.networks[0].labels },
    });
    const c = await ensureNetwork(engine, 'demo', {});
    assert.equal(c.id, a.id);
    assert.equal(engine.networks.length, 1);
  });

  it(
    'keeps using a volume an older version named mastercopy-NAME-VOLUME (its data is there), ' +
      'and never one of another master copy',
    async () => {
      const engine = new FakeEngine();
      engine.volumes.push({
        name: 'mastercopy-demo-data',
        driver: 'local',
        labels: { [LABEL_MANAGED]: 'true', [LABEL_NAME]: 'demo' },
      });
      // Under the old scheme this one could be demo-data's "data" or demo's "data-x": its label says.
      engine.volumes.push({
        name: 'mastercopy-demo-data-x',
        driver: 'local',
        labels: { [LABEL_MANAGED]: 'true', [LABEL_NAME]: 'demo-data' },
      });
      const names = await resolveVolumeNames(engine, {
        name: 'demo',
        volumes: [
          { name: 'data', path: '/d' },
          { name: 'data-x', path: '/x' },
        ],
      });
      assert.deepEqual(names, { data: 'mastercopy-demo-data', 'data-x': 'mastercopy_demo_data-x' });
    },
  );
});
