// Concurrency against a real engine (issue 14, suite item 3): two prints of one master copy
// at once, a scale racing a dispose, a dispose racing a copy its restart policy restarts.
// (Two promotes at once are in deploy.test.ts; two networks of one name in the unit tests.)
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { disposeCopies } from '../../src/core/copies/dispose';
import { printCopies, type PrintOptions } from '../../src/core/copies/print';
import { listCopies } from '../../src/core/copies/ps';
import { scaleCopies } from '../../src/core/copies/scale';
import { readDesired } from '../../src/core/deploy/desired';
import type { EngineClient } from '../../src/core/engine/EngineClient';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../src/core/engine/labels';
import { rawDocker, testRunLabels, waitFor } from '../support/engine';
import { holdsFor } from '../support/herd';
import { IDLE, oursOf, useSmallCopies, smallCopy, uniqueName } from '../support/smallCopy';

/** Every container whose name starts like `name`'s copies, whatever its labels: nothing may hide from ps. */
async function containersNamed(name: string) {
  const all = await rawDocker().listContainers({ all: true });
  return all.filter((c) => c.Names.some((n) => n.startsWith(`/${name}_`)));
}

/** Each container of `name` is a whole copy: all our labels, one index each, and not left half-made. */
async function assertWholeCopies(name: string): Promise<number[]> {
  const list = await containersNamed(name);
  const indices = list.map((c) => {
    const l = c.Labels;
    assert.equal(l[LABEL_MANAGED], 'true', `${c.Names[0]} carries our labels`);
    assert.equal(l[LABEL_NAME], name);
    assert.equal(l[LABEL_VERSION], '1.0.0');
    assert.match(l[LABEL_DIGEST] ?? '', /^sha256:/);
    assert.match(l[LABEL_COPY] ?? '', /^[0-9]+$/);
    assert.equal(c.Names[0], `/${name}_1.0.0_${l[LABEL_COPY]}`);
    assert.notEqual(c.State, 'created', `${c.Names[0]} was created but never started`);
    return Number(l[LABEL_COPY]);
  });
  assert.equal(new Set(indices).size, indices.length, `unique indices: ${indices.join(', ')}`);
  return indices.sort((a, b) => a - b);
}

describe('concurrency against a real engine', function () {
  this.timeout(180_000);
  const small = useSmallCopies();
  const { names, folders, cli } = small;
  let engine: EngineClient;
  const options = (more: Partial<PrintOptions> = {}): PrintOptions => ({
    env: {},
    readFile: (p) => readFile(p, 'utf8'),
    extraLabels: testRunLabels,
    ...more,
  });

  before(() => (engine = small.engine));

  it('two prints of one master copy at once (two CLIs): both succeed, unique indices, the sum of the copies', async () => {
    const name = uniqueName('twice');
    names.push(name);
    const { file } = smallCopy(name, IDLE, folders);
    // The image first, so that both prints race on the copies rather than on one build.
    assert.equal((await cli(['build', file])).code, 0);
    const [a, b] = await Promise.all([
      cli(['print', file, '--copies', '2', '--json']),
      cli(['print', file, '--copies', '3', '--json']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const printed = [a, b].flatMap(
      (r) => (JSON.parse(r.stdout) as { copies: { index: number }[] }).copies,
    );
    assert.equal(printed.length, 5);
    assert.deepEqual(await assertWholeCopies(name), [0, 1, 2, 3, 4]);
    assert.deepEqual(
      printed.map((c) => c.index).sort((x, y) => x - y),
      [0, 1, 2, 3, 4],
      'each print reports the copies it made',
    );
    const ps = await cli(['ps', name, '--json']);
    assert.equal((JSON.parse(ps.stdout) as unknown[]).length, 5);
    assert.equal(
      (await readDesired(engine, name)).get('1.0.0')?.count,
      5,
      'the desired count is the sum of both prints',
    );
    // And the next print continues after them, on the one network.
    const next = await cli(['print', file, '--copies', '1', '--json']);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(await assertWholeCopies(name), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual((await oursOf(name)).networks, [`mastercopy-${name}`]);
  });

  it('a scale racing a dispose ends consistent: whole copies only, ps agrees with the engine, the next scale converges', async () => {
    const name = uniqueName('race');
    names.push(name);
    const { mc, folder } = smallCopy(name, IDLE, folders);
    await printCopies(engine, mc, folder, options({ copies: 3 }));
    const outcomes = await Promise.allSettled([
      scaleCopies(engine, mc, folder, 6, { ...options(), stopTimeoutSeconds: 1 }),
      disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 }),
    ]);
    // Either may lose the race, but only with an error that says what happened.
    for (const o of outcomes)
      if (o.status === 'rejected') assert.ok(o.reason instanceof Error, String(o.reason));
    const indices = await assertWholeCopies(name);
    assert.deepEqual(
      (await listCopies(engine, { name })).map((c) => c.index),
      indices,
      'ps lists exactly the containers the engine has',
    );
    const scaled = await scaleCopies(engine, mc, folder, 2, {
      ...options(),
      stopTimeoutSeconds: 1,
    });
    assert.equal(scaled.after, 2);
    assert.equal((await assertWholeCopies(name)).length, 2);
    assert.equal((await readDesired(engine, name)).get('1.0.0')?.count, 2);
    await disposeCopies(engine, { name, all: true }, { stopTimeoutSeconds: 1 });
    assert.deepEqual(await containersNamed(name), []);
    assert.deepEqual(await oursOf(name), { containers: [], networks: [], volumes: [] });
  });

  it('a dispose racing copies their restart policy keeps restarting leaves no container behind', async () => {
    const name = uniqueName('flap');
    names.push(name);
    const { file } = smallCopy(
      name,
      'from: busybox:stable\ncommand: ["sh", "-c", "sleep 0.2; exit 3"]\nruntime: { restart: always }\n',
      folders,
    );
    const print = await cli(['print', file, '--copies', '3', '-q']);
    assert.equal(print.code, 0, print.stderr);
    const docker = rawDocker();
    // Disposed of while at least one is in its restart loop (restarted once, or waiting to be).
    await waitFor(
      'a copy to be restarted by its policy',
      async () => {
        for (const c of await containersNamed(name)) {
          const info = await docker.getContainer(c.Id).inspect();
          if (info.RestartCount > 0 || info.State.Restarting) return true;
        }
        return false;
      },
      30_000,
      50,
    );
    const run = await cli(['dispose', name, '--yes', '--timeout', '1']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await containersNamed(name), [], 'none left at once');
    // A restart the engine had scheduled must not bring one back afterwards.
    await holdsFor(
      'no container of the disposed master copy',
      async () => (await containersNamed(name)).length === 0,
      3000,
    );
    assert.deepEqual((await oursOf(name)).networks, [], 'its network went with it');
  });
});
