// The deployments an editor shows (every master copy's ledger, lock and endpoint, read in one
// go) and the history as a person reads it, over a fake engine.
import * as assert from 'node:assert/strict';
import type { ExecResult } from '../../../src/core/engine/EngineClient';
import { LABEL_MANAGED, LABEL_NAME, LABEL_ROLE } from '../../../src/core/engine/labels';
import {
  appendRecord,
  lockVolumeName,
  LABEL_LOCK,
  ROLE_LOCK,
  type LedgerRecord,
  type LockHolder,
} from '../../../src/core/deploy/ledger';
import {
  endpointText,
  historyEntries,
  readDeployOverviews,
  rollbackChoices,
  shortTime,
  type EndpointStatus,
} from '../../../src/core/deploy/overview';
import { LABEL_GATEWAY, ROLE_KEEPER } from '../../../src/core/keeper/keeperContainer';
import { FakeEngine } from '../copies/fakeEngine';

const AT = '2026-12-01T10:00:00.000Z';

function record(
  version: string,
  outcome: LedgerRecord['outcome'],
  more: Partial<LedgerRecord> = {},
): Omit<LedgerRecord, 'seq'> {
  return {
    action: 'promote',
    version,
    imageId: `sha256:${version.replace(/\./g, '')}`.padEnd(71, 'a'),
    digest: 'sha256:d',
    outcome,
    at: AT,
    by: { user: 'ann', host: 'box' },
    git: null,
    replaced: null,
    copies: 2,
    folder: null,
    gateway: null,
    ...more,
  };
}

/** A fake engine whose keepers answer `status` (and counts how often they are asked). */
class KeeperEngine extends FakeEngine {
  readonly execs: string[] = [];
  answers = new Map<string, ExecResult | Error>();
  override async exec(...args: unknown[]): Promise<ExecResult> {
    const [id, , command] = args as [string, unknown, string[]];
    this.execs.push(`${id} ${command.slice(2).join(' ')}`);
    const a = this.answers.get(id);
    if (a instanceof Error) throw a;
    return a ?? { exitCode: 1, stdout: '', stderr: 'no keeper here' };
  }
  keeper(name: string, gateway: string, running = true, hostIp = '127.0.0.1'): string {
    const id = `keeper-${name}`.padEnd(64, '0');
    const labels = {
      [LABEL_MANAGED]: 'true',
      [LABEL_NAME]: name,
      [LABEL_ROLE]: ROLE_KEEPER,
      [LABEL_GATEWAY]: gateway,
    };
    const port = Number(gateway.split(' ')[0]);
    this.containers.set(id, {
      id,
      spec: {
        image: 'mastercopy-keeper:x',
        name: `mastercopy.${name}.keeper`,
        labels,
        ports: [{ containerPort: port, protocol: 'tcp', hostIp, hostPort: port }],
      },
      labels,
      running,
      hostPorts: [port],
    });
    return id;
  }
  lock(name: string, holder: LockHolder): void {
    this.volumes.push({
      name: lockVolumeName(name),
      driver: 'local',
      labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_NAME]: name,
        [LABEL_ROLE]: ROLE_LOCK,
        [LABEL_LOCK]: JSON.stringify(holder),
      },
    });
  }
}

const status = (active: string, open = 1, served = 7) => ({
  exitCode: 0,
  stderr: '',
  stdout: JSON.stringify({
    name: 'shop',
    active,
    copies: [
      {
        id: 'c'.repeat(64),
        version: active,
        index: 0,
        address: '10.0.0.3',
        healthy: true,
        open,
        served,
      },
    ],
    listenPort: 18080,
    targetPort: 8080,
    totals: { served, failed: 0, open },
  }),
});

describe('deploy overview', () => {
  it(
    'reads every master copy at once: its ledger, the active version, the lock and the endpoint; ' +
      'asks each running keeper once',
    async () => {
      const engine = new KeeperEngine();
      await appendRecord(
        engine,
        'shop',
        record('1.0.0', 'promoted', { gateway: { port: 18080, target: 8080 } }),
      );
      await appendRecord(
        engine,
        'shop',
        record('1.1.0', 'promoted', { replaced: '1.0.0', gateway: { port: 18080, target: 8080 } }),
      );
      await appendRecord(engine, 'shop', record('1.2.0', 'failed', { reason: 'never healthy' }));
      await appendRecord(engine, 'blog', record('2.0.0', 'promoted'));
      engine.answers.set(engine.keeper('shop', '18080 8080'), status('1.1.0'));
      engine.lock('blog', {
        user: 'bob',
        host: 'laptop',
        pid: 7,
        since: AT,
        action: 'rollback',
        version: '1.0.0',
      });

      const all = await readDeployOverviews(engine);
      assert.deepEqual([...all.keys()].sort(), ['blog', 'shop']);
      const shop = all.get('shop')!;
      assert.deepEqual(
        shop.ledger.map((r) => [r.seq, r.version, r.outcome]),
        [
          [1, '1.0.0', 'promoted'],
          [2, '1.1.0', 'promoted'],
          [3, '1.2.0', 'failed'],
        ],
      );
      assert.equal(shop.active?.version, '1.1.0');
      assert.equal(shop.lock, undefined);
      assert.deepEqual(shop.endpoint, {
        url: 'http://127.0.0.1:18080/',
        address: '127.0.0.1',
        port: 18080,
        targetPort: 8080,
        container: 'running',
        state: 'serving',
        active: '1.1.0',
        open: 1,
        served: 7,
        failed: 0,
        copies: [
          {
            id: 'c'.repeat(64),
            version: '1.1.0',
            index: 0,
            address: '10.0.0.3',
            healthy: true,
            open: 1,
            served: 7,
          },
        ],
      });
      const blog = all.get('blog')!;
      assert.equal(blog.active?.version, '2.0.0');
      assert.equal(blog.lock?.user, 'bob');
      assert.equal(blog.endpoint, undefined, 'promoted without a gateway: no endpoint');
      assert.deepEqual(
        engine.execs,
        [`${'keeper-shop'.padEnd(64, '0')} status`],
        'one status request, to the one running keeper',
      );
    },
  );

  it('a lock whose holder is gone is stale: nobody deploys', async () => {
    const engine = new KeeperEngine();
    engine.lock('shop', {
      user: 'ann',
      host: 'box',
      pid: 41,
      since: AT,
      action: 'promote',
      version: '2.0.0',
    });
    engine.lock('blog', {
      user: 'ann',
      host: 'box',
      pid: 42,
      since: AT,
      action: 'promote',
      version: '3.0.0',
    });
    const lockDeps = {
      processAlive: (pid: number) => pid === 42,
      hostName: 'box',
      now: () => Date.parse(AT),
    };
    const all = await readDeployOverviews(engine, { lockDeps });
    assert.equal(all.get('shop')!.lock, undefined);
    assert.equal(all.get('shop')!.staleLock?.pid, 41);
    assert.equal(all.get('blog')!.lock?.pid, 42, 'its holder still runs');
    assert.equal(
      (await readDeployOverviews(engine)).get('shop')!.lock?.pid,
      41,
      'without a way to tell, every lock counts',
    );
  });

  it('an endpoint that does not serve says why: the keeper stopped, does not answer, or is gone', async () => {
    const engine = new KeeperEngine();
    await appendRecord(
      engine,
      'gone',
      record('1.0.0', 'promoted', { gateway: { port: 18081, target: 8080 } }),
    );
    engine.keeper('stopped', '18082 8080', false);
    engine.answers.set(engine.keeper('silent', '18083 8080'), new Error('exec failed'));
    engine.keeper('anywhere', '18084 8080', true, '0.0.0.0');
    const all = await readDeployOverviews(engine);
    const gone = all.get('gone')!.endpoint!;
    assert.equal(gone.state, 'missing');
    assert.equal(gone.url, 'http://127.0.0.1:18081/');
    assert.equal(all.get('stopped')!.endpoint!.state, 'stopped');
    assert.equal(all.get('stopped')!.endpoint!.container, 'exited');
    assert.deepEqual(
      [all.get('silent')!.endpoint!.state, all.get('silent')!.endpoint!.error],
      ['not-answering', 'exec failed'],
    );
    // Published on every address: reached on 127.0.0.1.
    assert.equal(all.get('anywhere')!.endpoint!.url, 'http://127.0.0.1:18084/');
    assert.equal(engine.execs.length, 2, 'a stopped keeper is not asked');
    assert.equal(endpointText(gone), 'keeper not running: promote to start it again');
    assert.match(endpointText(all.get('stopped')!.endpoint!), /keeper not running \(exited\)/);
    assert.match(endpointText(all.get('silent')!.endpoint!), /^keeper not answering: exec failed$/);
  });

  it('a keeper that takes too long is reported as not answering, not waited for', async () => {
    const engine = new KeeperEngine();
    engine.keeper('slow', '18085 8080');
    engine.exec = (...args: unknown[]) =>
      new Promise((_, reject) =>
        (args[3] as AbortSignal).addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        ),
      );
    const started = Date.now();
    const e = (await readDeployOverviews(engine, { statusTimeoutMs: 50 })).get('slow')!.endpoint!;
    assert.equal(e.state, 'not-answering');
    assert.equal(e.error, 'no answer within 0.05 s');
    assert.ok(Date.now() - started < 5000);
  });

  it('endpointText: where new connections go, open, served (and failed when there are any)', () => {
    const e: EndpointStatus = {
      url: 'http://127.0.0.1:1/',
      address: '127.0.0.1',
      port: 1,
      targetPort: 2,
      state: 'serving',
      active: '1.1.0',
      open: 2,
      served: 120,
      failed: 0,
      copies: [],
    };
    assert.equal(endpointText(e), '→ 1.1.0 · 2 open · 120 served');
    assert.equal(
      endpointText({ ...e, failed: 3, active: null }),
      '→ no active version · 2 open · 120 served · 3 failed',
    );
  });
});

describe('deploy history', () => {
  const ledger: LedgerRecord[] = [
    record('1.0.0', 'promoted', { git: { commit: 'abcdef0123456789', dirty: false } }),
    record('1.1.0', 'promoted', {
      replaced: '1.0.0',
      git: { commit: '0123456789abcdef', dirty: true },
    }),
    record('1.2.0', 'failed', { reason: 'never healthy', imageId: '' }),
    record('1.0.0', 'rolled-back', { action: 'rollback', replaced: '1.1.0' }),
    record('1.3.0', 'cancelled', { imageId: '' }),
  ].map((r, i) => ({ ...r, seq: i + 1 }));

  it('newest first, the active record marked, a rollback offered for what went through and does not serve', () => {
    const h = historyEntries(ledger);
    assert.deepEqual(
      h.map((e) => [e.seq, e.version, e.outcome, e.active, e.wentThrough, e.canRollBack]),
      [
        [5, '1.3.0', 'cancelled', false, false, false],
        [4, '1.0.0', 'rolled-back', true, true, false],
        [3, '1.2.0', 'failed', false, false, false],
        [2, '1.1.0', 'promoted', false, true, true],
        [1, '1.0.0', 'promoted', false, true, false],
      ],
    );
    assert.equal(h[3].commit, '0123456789ab (dirty)');
    assert.equal(h[4].commit, 'abcdef012345');
    assert.equal(h[1].commit, undefined);
    assert.equal(h[2].reason, 'never healthy');
    assert.equal(h[2].image, undefined, 'an attempt that did not go through has no image');
    assert.equal(h[3].image, '110aaaaaaaaa');
    assert.equal(h[0].by, 'ann@box');
  });

  it('rollback choices: each version that served once, at its newest record, newest first', () => {
    assert.deepEqual(
      rollbackChoices(ledger).map((e) => [e.version, e.seq, e.active]),
      [
        ['1.0.0', 4, true],
        ['1.1.0', 2, false],
      ],
    );
    assert.deepEqual(rollbackChoices([]), []);
  });

  it('shortTime', () => {
    assert.equal(shortTime('2026-12-01T07:51:36.984Z'), '2026-12-01 07:51:36Z');
    assert.equal(shortTime('yesterday'), 'yesterday');
  });
});
