// The keeper's self-healing against a real engine: copies killed or removed by hand are
// replaced while a load loop runs through the endpoint; a version that crash-loops backs
// off; copies disposed of or scaled away on purpose are not brought back.
import * as assert from 'node:assert/strict';
import { disposeCopies } from '../../src/core/copies/dispose';
import { scaleCopies } from '../../src/core/copies/scale';
import { promote } from '../../src/core/deploy/promote';
import { LABEL_NAME, LABEL_VERSION } from '../../src/core/engine/labels';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { rawDocker, testRunId, testRunLabels, waitFor } from '../support/engine';
import { copiesOf, herdVariant, holdsFor, useHerdEngine } from '../support/herd';
import { freePort, loadLoop } from '../support/load';

const BASE = `mc-heal-${testRunId}`;
const tempDirs: string[] = [];
const variant = (suffix: string, port: number, edit?: (t: string) => string) =>
  herdVariant(`${BASE}-${suffix}`, port, tempDirs, edit);
const copies = copiesOf;

describe('keeper self-healing against a real engine', function () {
  this.timeout(180_000);
  const env = useHerdEngine(tempDirs);
  const { names, status } = env;
  let herd: { mc: MasterCopy; folder: string };

  it(
    'a copy killed through the engine API and another removed by hand are both replaced and serve; ' +
      'the load loop through the endpoint sees no failure',
    async () => {
      const port = await freePort();
      const v = (herd = variant('herd', port));
      names.push(v.mc.name);
      await promote(env.engine, { kind: 'file', ...v }, env.deploy, {});
      const before = await copies(v.mc.name);
      assert.equal(before.length, 2);
      const load = loadLoop(port, { total: 4000, parallel: 4, deadlineMs: 90_000 });
      await waitFor('the load loop to get answers', () => load.okSoFar() > 50, 10_000, 20);

      await rawDocker().getContainer(before[0].id).kill(); // SIGKILL through the engine API
      await rawDocker().getContainer(before[1].id).remove({ force: true }); // removed by hand
      await waitFor(
        'two fresh healthy copies serving and the killed one disposed of',
        async () => {
          const now = await copies(v.mc.name);
          const s = await status(v.mc.name).catch(() => undefined);
          return (
            now.length === 2 &&
            now.every((c) => c.state === 'running' && !before.some((b) => b.id === c.id)) &&
            s?.healing?.healthy === 2
          );
        },
        60_000,
        200,
      );
      const served = load.okSoFar();
      await waitFor(
        'answers from the replacements',
        () => load.okSoFar() > served + 100,
        30_000,
        20,
      );
      load.stop();
      const r = await load.done;
      assert.equal(r.failed, 0, `failed requests: ${r.errors.join('; ')}`);
      const s = await status(v.mc.name);
      assert.equal(s.healing?.desired, 2);
      assert.equal(s.healing?.state, 'steady');
      const events = JSON.stringify(s.healing?.events);
      assert.ok(
        s.healing?.events.some((e) =>
          /printed copy \d+ of 1\.0\.0 \(replaces copy 0: exited 137\)/.test(e.text),
        ),
        events,
      );
      assert.ok(
        s.healing?.events.some((e) =>
          /printed copy \d+ of 1\.0\.0 \(replaces copy 1: removed\)/.test(e.text),
        ),
        events,
      );
      assert.ok(
        s.healing?.events.some((e) => /disposed of copy 0/.test(e.text)),
        'the killed copy was disposed of',
      );
    },
  );

  it('copies disposed of or scaled away on purpose are not brought back; a scale up is kept', async () => {
    const { mc, folder } = herd;
    const name = mc.name;
    await scaleCopies(env.engine, mc, folder, 3, {
      env: {},
      readFile: async () => '',
      extraLabels: testRunLabels,
    });
    await waitFor(
      '3 healthy copies',
      async () => (await status(name)).healing?.healthy === 3,
      30_000,
      200,
    );
    const three = await copies(name);
    await disposeCopies(env.engine, { copy: three[2].id }, { stopTimeoutSeconds: 1 });
    await waitFor(
      'the keeper to settle on 2',
      async () => (await status(name)).healing?.desired === 2,
      15_000,
      200,
    );
    const eventsBefore = (await status(name)).healing?.events.length ?? 0;
    // Watched over several of the keeper's passes (one every 2 s): it never brings the third back.
    await holdsFor('two copies, no more', async () => (await copies(name)).length === 2, 6000);
    assert.ok(
      !(await status(name)).healing?.events
        .slice(eventsBefore)
        .some((e) => e.text.startsWith('printed')),
      'nothing was printed after the dispose',
    );
  });

  it('a version whose replacements keep crashing backs off: the containers created over a fixed window are bounded', async () => {
    const port = await freePort();
    // Serves until the flag in its volume says otherwise; then every new copy exits at once.
    const v = variant('loop', port, (t) =>
      t
        .replace(
          /^command: .*$/m,
          'command: ["/bin/sh", "-c", "test -e /flag/broken && exit 3; exec /bin/httpd -f -p 8080 -h /srv/www"]',
        )
        .replace('restart: on-failure', 'restart: "no"')
        .replace(/^copies: 2$/m, 'copies: 1\nvolumes:\n  - { name: flag, path: /flag }'),
    );
    names.push(v.mc.name);
    await promote(env.engine, { kind: 'file', ...v }, env.deploy, {});
    // Break it: the flag goes into the volume (through a container of this test's own), then the copy dies.
    const volume = `mastercopy_${v.mc.name}_flag`;
    const breaker = await rawDocker().createContainer({
      Image: 'busybox:stable',
      Cmd: ['touch', '/flag/broken'],
      Labels: testRunLabels,
      HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/flag' }] },
    });
    await breaker.start();
    await breaker.wait();
    const [only] = await copies(v.mc.name);
    const since = Math.floor(Date.now() / 1000);
    await rawDocker().getContainer(only.id).kill();
    await waitFor(
      'the keeper to back off',
      async () => (await status(v.mc.name)).healing?.state === 'backing-off',
      30_000,
      200,
    );
    await waitFor(
      'a second failure in a row',
      async () => ((await status(v.mc.name)).healing?.failures ?? 0) >= 3,
      30_000,
      200,
    );
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = (await rawDocker().getEvents({
      since,
      until,
      filters: {
        type: ['container'],
        event: ['create'],
        label: [`${LABEL_NAME}=${v.mc.name}`, `${LABEL_VERSION}=1.0.0`],
      },
    })) as unknown as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of events) text += String(chunk);
    const created = text.split('\n').filter((l) => l.trim()).length;
    const window = until - since;
    // 1 s, 2 s, 4 s … between attempts: over `window` seconds at most log2(window) + 2 of them.
    assert.ok(
      created >= 3 && created <= Math.ceil(Math.log2(window)) + 2,
      `${created} containers created in ${window} s`,
    );
    const s = await status(v.mc.name);
    assert.match(s.healing?.reason ?? '', /replacements keep failing/);
    assert.ok(
      s.healing?.events.some((e) => /never became healthy: .*next try in \d+ s/.test(e.text)),
      JSON.stringify(s.healing?.events),
    );
  });
});
