// Configuration shift against a real engine: a copy changed with `docker update` is
// reported with its old and new values, its untouched sibling is clean, and `mastercopy
// drift` says so with its exit code; a copy whose image lost its tag cannot be checked.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { disposeCopies } from '../../src/core/copies/dispose';
import { printCopies } from '../../src/core/copies/print';
import { checkDrift } from '../../src/core/drift/drift';
import type { MasterCopy } from '../../src/core/mastercopy/model';
import { runCli } from '../support/cli';
import { TEST_ENGINE_HOST, rawDocker, testRunId, testRunLabels } from '../support/engine';
import { copiesOf, herdVariant, useHerdEngine } from '../support/herd';
import { freePort } from '../support/load';

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
