// Configuration shift against a real engine: a copy changed with `docker update` is
// reported with its old and new values, its untouched sibling is clean, and `mastercopy
// drift` says so with its exit code; a copy whose image lost its tag cannot be checked.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { disposeCopies } from '../../src/core/copies/dispose';
import { printCopies } from '../../src/core/copies/print';
import { promote } from '../../src/core/deploy/promote';
import { checkDrift } from '../../src/core/drift/drift';
import { replaceDrifted } from '../../src/core/drift/replace';
import { keeperContainerName } from '../../src/core/keeper/keeperContainer';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { runCli } from '../support/cli';
import { TEST_ENGINE_HOST, rawDocker, testRunId, testRunLabels } from '../support/engine';
import { copiesOf, herdVariant, useHerdEngine } from '../support/herd';
import { freePort, loadLoop } from '../support/load';

const NAME = `mc-drift-${testRunId}`;
const folders: string[] = [];

describe('drift against a real engine', function () {
  this.timeout(120_000);
  const env = useHerdEngine(folders);
  /** Two copies of `v`, printed as `mastercopy print` does. */
  const printTwo = (v: { mc: MasterCopy; folder: string }) =>
    printCopies(env.engine, v.mc, v.folder, {
      copies: 2,
      env: {},
      readFile: (p) => readFile(p, 'utf8'),
      extraLabels: testRunLabels,
    });
  const cli = (args: string[]) =>
    runCli(args, { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST } });

  it('a copy changed with docker update is reported with the old and new values; its sibling is clean', async () => {
    const v = herdVariant(NAME, await freePort(), folders);
    env.names.push(NAME);
    await printTwo(v);
    assert.deepEqual(
      (await checkDrift(env.engine, NAME)).map((c) => c.state),
      ['clean', 'clean'],
      'freshly printed copies match their version',
    );
    assert.equal((await cli(['drift', NAME])).code, 0);

    const [, second] = await copiesOf(NAME);
    await rawDocker()
      .getContainer(second.id)
      .update({
        Memory: 128 * 1024 * 1024,
        MemorySwap: -1,
        NanoCpus: 300_000_000,
        RestartPolicy: { Name: 'always' },
      });
    const [first, changed] = await checkDrift(env.engine, NAME);
    assert.equal(first.state, 'clean');
    assert.equal(changed.state, 'drifted');
    assert.deepEqual(
      changed.items.map((i) => [i.what, i.expected, i.actual, i.inPlace]),
      [
        ['memory', '64m', '128m', true],
        ['CPUs', '0.5', '0.3', true],
        ['restart policy', 'on-failure', 'always', true],
      ],
    );

    const r = await cli(['drift', NAME]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^copy 0 of ${NAME} 1\\.0\\.0: matches its version$`, 'm'));
    assert.match(
      r.stdout,
      new RegExp(`^copy 1 of ${NAME} 1\\.0\\.0: memory 64m → 128m \\(changed in place\\)$`, 'm'),
    );
    const json = JSON.parse((await cli(['drift', '--json', NAME])).stdout) as { state: string }[];
    assert.deepEqual(
      json.map((c) => c.state),
      ['clean', 'drifted'],
    );
  });

  it('a copy connected to an extra network, and a file written into a writable copy, are reported', async () => {
    const writable = `${NAME}-rw`;
    const v = herdVariant(writable, await freePort(), folders, (t) =>
      t.replace('readOnly: true', 'readOnly: false'),
    );
    env.names.push(writable);
    await printTwo(v);
    const [first, second] = await copiesOf(writable);
    const docker = rawDocker();
    const extra = await docker.createNetwork({ Name: `${writable}-extra`, Labels: testRunLabels });
    try {
      await extra.connect({ Container: second.id });
      // As root: the copies run as an unprivileged user, who cannot write to /etc.
      const exec = await docker.getContainer(first.id).exec({
        User: 'root',
        Cmd: ['sh', '-c', 'echo sneaky > /etc/hosts.allow; echo scratch > /tmp/scratch'],
      });
      await exec
        .start({ hijack: true, stdin: false })
        .then((stream) => new Promise((resolve) => (stream.on('end', resolve), stream.resume())));
      const [a, b] = await checkDrift(env.engine, writable);
      assert.deepEqual(
        a.items.map((i) => [i.what, i.actual]),
        [['file /etc/hosts.allow', 'added']],
        'the tmpfs /tmp is meant to change',
      );
      assert.deepEqual(
        b.items.map((i) => [i.what, i.expected, i.actual]),
        [['networks', `mastercopy-${writable}`, `mastercopy-${writable}, ${writable}-extra`]],
      );
      const r = await cli(['drift', writable]);
      assert.equal(r.code, 1);
      assert.match(
        r.stdout,
        new RegExp(`^copy 0 of ${writable} 1\\.0\\.0: /etc/hosts\\.allow added$`, 'm'),
      );
    } finally {
      await extra.disconnect({ Container: second.id, Force: true }).catch(() => undefined);
      await extra.remove().catch(() => undefined);
    }
  });

  it('a drifted copy printed without a gateway is replaced: a fresh healthy copy, the drifted one gone', async () => {
    const plain = `${NAME}-plain`;
    const v = herdVariant(plain, await freePort(), folders, (t) => t.replace(/^gateway: .*$/m, ''));
    env.names.push(plain);
    await printTwo(v);
    const [clean, sneaky] = await copiesOf(plain);
    await rawDocker()
      .getContainer(sneaky.id)
      .update({ Memory: 96 * 1024 * 1024, MemorySwap: -1 });
    const r = await cli(['drift', '--replace', plain]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /memory 64m → 96m \(changed in place\)/);
    assert.match(r.stderr, /^Replaced 1 drifted copy\.$/m);
    const after = await copiesOf(plain);
    assert.deepEqual(
      after.map((c) => [c.index, c.state]),
      [
        ['0', 'running'],
        ['2', 'running'],
      ],
      'copy 1 replaced by a fresh copy 2',
    );
    assert.equal(after[0].id, clean.id, 'the clean copy is left alone');
    assert.deepEqual(
      (await checkDrift(env.engine, plain)).map((c) => c.state),
      ['clean', 'clean'],
    );
  });

  it(
    'behind a gateway the keeper replaces a drifted copy of the active version with no failed request; ' +
      'a changed keeper is reported',
    async () => {
      const port = await freePort();
      const kept = `${NAME}-kept`;
      const v = herdVariant(kept, port, folders);
      env.names.push(kept);
      await promote(env.engine, { kind: 'file', ...v }, env.deploy, {});
      const before = await copiesOf(kept);
      assert.equal(before.length, 2);
      await rawDocker().getContainer(before[1].id).update({ NanoCpus: 250_000_000 });
      const keeper = rawDocker().getContainer(keeperContainerName(kept));
      await keeper.update({ Memory: 300 * 1024 * 1024, MemorySwap: -1 });
      const drift = await checkDrift(env.engine, kept);
      assert.deepEqual(
        drift.map((c) => [c.role, c.index, c.state]),
        [
          ['keeper', -1, 'drifted'],
          ['copy', 0, 'clean'],
          ['copy', 1, 'drifted'],
        ],
      );
      assert.deepEqual(
        drift[0].items.map((i) => [i.what, i.expected, i.actual, i.inPlace]),
        [['memory', '256m', '300m', true]],
      );
      const r = await cli(['drift', kept]);
      assert.match(
        r.stdout,
        new RegExp(`^the keeper of ${kept}: memory 256m → 300m \\(changed in place\\)$`, 'm'),
      );

      const load = loadLoop(port, { total: 50_000, parallel: 2, deadlineMs: 90_000 });
      try {
        const result = await replaceDrifted(env.engine, kept, drift);
        assert.deepEqual(
          result.replaced.map((c) => [c.index, c.by]),
          [[1, 'keeper']],
        );
      } finally {
        load.stop();
      }
      const answers = await load.done;
      assert.equal(answers.failed, 0, answers.errors.join('\n'));
      assert.ok(answers.ok > 0, 'requests were served throughout');
      const now = await copiesOf(kept);
      assert.ok(!now.some((c) => c.id === before[1].id), 'the drifted copy is gone');
      assert.deepEqual(
        now.filter((c) => c.state === 'running').map((c) => c.index),
        ['0', '2'],
      );
      assert.deepEqual(
        (await checkDrift(env.engine, kept)).filter((c) => c.role === 'copy').map((c) => c.state),
        ['clean', 'clean'],
      );
    },
  );

  it('a copy whose image lost its tag cannot be checked, and that is not clean', async () => {
    await rawDocker().getImage(`${NAME}:1.0.0`).remove({ force: true });
    const drift = await checkDrift(env.engine, NAME);
    assert.ok(
      drift.every((c) => c.state === 'cannot-check'),
      JSON.stringify(drift),
    );
    assert.match(drift[0].reason ?? '', /the image .*:1\.0\.0 is gone/);
    const r = await cli(['drift', NAME]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /copy 0 of .*: cannot check: the image .* is gone/);
    await disposeCopies(env.engine, { name: NAME, all: true }, { stopTimeoutSeconds: 1 });
    assert.equal((await cli(['drift', NAME])).code, 0, 'no copies: nothing drifted');
  });
});
