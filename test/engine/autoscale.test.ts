// The keeper's autoscaling against a real engine. Load is held open connections through
// the endpoint (the target counts open connections), beside a bounded load loop whose
// requests must all succeed while the herd grows, is promoted to a new version, and shrinks.
import * as assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { CopiesError } from '../../src/core/copies/errors';
import { scaleCopies } from '../../src/core/copies/scale';
import { readDesired } from '../../src/core/deploy/desired';
import { promote } from '../../src/core/deploy/promote';
import { testRunId, testRunLabels, waitFor } from '../support/engine';
import { copiesOf, herdVariant, holdsFor, useHerdEngine } from '../support/herd';
import { freePort, holdConnections, loadLoop } from '../support/load';

const BASE = `mc-auto-${testRunId}`;
const tempDirs: string[] = [];

describe('keeper autoscaling against a real engine', function () {
  this.timeout(180_000);
  const env = useHerdEngine(tempDirs);
  const { names, status } = env;
  const held: Socket[] = [];

  const running = async (name: string, version?: string) =>
    (await copiesOf(name)).filter(
      (c) => c.state === 'running' && (!version || c.version === version),
    ).length;

  afterEach(() => {
    for (const s of held.splice(0)) s.destroy();
  });

  it(
    'scales up to max under load and never past it, keeps the count across a promote, ' +
      'refuses a scale by hand, then scales down to min; no request fails',
    async () => {
      const port = await freePort();
      const policy = 'autoscale: { min: 1, max: 3, inflight: 2, cooldown: 3s }\n';
      const v1 = herdVariant(`${BASE}-up`, port, tempDirs, (t) =>
        t.replace(/^copies: 2$/m, `copies: 1\n${policy}`),
      );
      const name = v1.mc.name;
      names.push(name);
      await promote(env.engine, { kind: 'file', ...v1 }, env.deploy, {});
      assert.equal(await running(name), 1, 'min copies at first');

      const load = loadLoop(port, { total: 20_000, parallel: 1, deadlineMs: 150_000 });
      let most = 0;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          most = Math.max(most, (await copiesOf(name)).filter((c) => c.version === '1.0.0').length);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      // 8 open connections on a target of 2 ask for 4 copies: max is 3.
      held.push(...(await holdConnections(port, 8)));
      await waitFor(
        '3 healthy copies serving',
        async () => (await status(name)).healing?.healthy === 3,
        30_000,
        200,
      );
      const up = (await status(name)).autoscale;
      assert.equal(up?.desired, 3);
      assert.match(
        up?.decisions.at(-1)?.reason ?? '',
        /^1 → 3: \d+(\.\d)? open connections over 1 copy, target 2 \(at most 3\)$/,
      );
      await holdsFor('never past max', async () => (await running(name)) <= 3, 4000);
      watching = false;
      await watch;
      assert.equal(most, 3, 'at most 3 copies of 1.0.0 were ever seen');

      await assert.rejects(
        scaleCopies(env.engine, v1.mc, v1.folder, 1, {
          env: {},
          readFile: async () => '',
          extraLabels: testRunLabels,
        }),
        (e: unknown) =>
          e instanceof CopiesError &&
          /is autoscaled by its keeper \(1–3 copies on 2 open connections per copy/.test(e.message),
      );

      // Green starts at blue's count, within the bounds: read as the promote starts, a cooldown
      // before the autoscaler could lower it (the held connections close now; kept, they would be
      // handed to green when blue goes, as connections that sent nothing yet are).
      for (const s of held.splice(0)) s.destroy();
      const v2 = herdVariant(name, port, tempDirs, (t) =>
        t
          .replace(/^version: .*$/m, 'version: "1.1.0"')
          .replace(/^copies: 2$/m, `copies: 1\n${policy}`),
      );
      const promoted = await promote(env.engine, { kind: 'file', ...v2 }, env.deploy, {});
      assert.equal(promoted.copies.length, 3, 'green was printed at blue’s 3');
      assert.equal(promoted.record?.copies, 3);
      assert.deepEqual(
        promoted.record?.autoscale,
        { min: 1, max: 3, inflight: 2, cooldown: '3s' },
        'the policy is in the ledger',
      );

      // The load loop alone asks for 1.
      await waitFor(
        'a scale down to min',
        async () =>
          (await running(name, '1.1.0')) === 1 && (await status(name)).autoscale?.desired === 1,
        60_000,
        250,
      );
      const down = (await status(name)).autoscale;
      // Down from 3 (in one step or two, as the load loop's connections come and go).
      assert.match(
        down?.decisions.at(-1)?.reason ?? '',
        /^[23] → 1: [\d.]+ open connections? over [23] copies, target 2/,
      );
      assert.ok(
        down?.decisions.filter((d) => d.version === '1.1.0').every((d) => d.to < d.from),
        JSON.stringify(down?.decisions),
      );
      const served = load.okSoFar();
      await waitFor(
        'answers from the one copy left',
        () => load.okSoFar() > served + 20,
        20_000,
        20,
      );
      load.stop();
      const r = await load.done;
      assert.equal(r.failed, 0, `failed requests: ${r.errors.join('; ')}`);
      assert.ok(r.ok > 50, `the load loop ran (${r.ok} answers)`);
    },
  );

  it('a dry run says what it would do and changes nothing', async () => {
    const port = await freePort();
    const v = herdVariant(`${BASE}-dry`, port, tempDirs, (t) =>
      t.replace(
        /^copies: 2$/m,
        'copies: 1\nautoscale: { min: 1, max: 3, inflight: 2, cooldown: 1s, dryRun: true }\n',
      ),
    );
    names.push(v.mc.name);
    await promote(env.engine, { kind: 'file', ...v }, env.deploy, {});
    held.push(...(await holdConnections(port, 8)));
    await waitFor(
      'a decision it would make',
      async () =>
        (await status(v.mc.name)).autoscale?.decisions.some((d) => !d.applied && d.to === 3) ===
        true,
      20_000,
      200,
    );
    await holdsFor(
      'one copy, and a desired count of 1',
      async () =>
        (await running(v.mc.name)) === 1 &&
        (await readDesired(env.engine, v.mc.name)).get('1.0.0')?.count === 1,
      4000,
    );
    const s = (await status(v.mc.name)).autoscale;
    assert.equal(s?.decisions.length, 1, 'said once, not once a cooldown');
    assert.equal(s?.desired, 3, 'the count it would have set');
  });

  it('promoting the active version with another policy records it, prints nothing, and the keeper applies it', async () => {
    const [dry] = names.slice(-1);
    // Same version, same gateway port as the dry run's (the file of the test above).
    const port = (await status(dry)).listenPort;
    const same = herdVariant(dry, port, tempDirs, (t) =>
      t.replace(
        /^copies: 2$/m,
        'copies: 1\nautoscale: { min: 1, max: 3, inflight: 2, cooldown: 1s }\n',
      ),
    );
    const before = await copiesOf(dry);
    const result = await promote(env.engine, { kind: 'file', ...same }, env.deploy, {});
    assert.equal(result.status, 'already-active');
    assert.equal(result.autoscaleChanged, true);
    assert.deepEqual(result.record?.autoscale, { min: 1, max: 3, inflight: 2, cooldown: '1s' });
    assert.equal(
      result.record?.replaced,
      null,
      'still the first version: a rollback has nowhere to go',
    );
    assert.deepEqual(
      (await copiesOf(dry)).map((c) => c.id),
      before.map((c) => c.id),
      'nothing printed',
    );
    // Busy again (the dry run's connections closed after it): now the keeper acts on them.
    held.push(...(await holdConnections(port, 8)));
    await waitFor(
      '3 healthy copies',
      async () => (await status(dry)).healing?.healthy === 3,
      30_000,
      200,
    );
  });
});
