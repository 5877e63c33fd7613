// Resource conflicts against a real engine (issue 14, suite item 4): each gives a clear error
// naming the cause and what to do, and leaves nothing of ours that was not there before.
// (A fixed hostPort taken, through the core, is in copies.test.ts; the gateway port taken
// before a promote in deploy.test.ts.)
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { CopyRecord } from '../../src/core/copies/ps';
import { TEST_RUN_LABEL, rawDocker, testRunId } from '../support/engine';
import { freePort } from '../support/load';
import { IDLE, oursOf, useSmallCopies, smallCopy, uniqueName } from '../support/smallCopy';

async function listen(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

describe('resource conflicts against a real engine', function () {
  this.timeout(180_000);
  const small = useSmallCopies();
  const { names, folders, cli } = small;

  it('a fixed hostPort already taken: the CLI names the port and what to do, exit 1, nothing of ours left', async () => {
    const name = uniqueName('port');
    names.push(name);
    const port = await freePort();
    const { file } = smallCopy(
      name,
      `${IDLE}ports: [{ port: 8080, hostPort: ${port} }]\n`,
      folders,
    );
    assert.equal((await cli(['build', file])).code, 0);
    const before = await oursOf(name);
    const squatter = await listen(port);
    try {
      const run = await cli(['print', file]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`Port 127\\.0\\.0\\.1:${port} .*is already taken`));
      assert.match(run.stderr, /Free it .*or change or remove `hostPort`/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    assert.deepEqual(
      await oursOf(name),
      before,
      'no copy, network or record left by the failed print',
    );
    // Once the port is free, the same print works.
    const again = await cli(['print', file, '-q']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await oursOf(name)).containers.length, 1);
  });

  it(
    'a volume of that name that is not ours, in use: refused with what to do, ' +
      'the foreign one untouched, nothing of ours left',
    async () => {
      const name = uniqueName('vol');
      names.push(name);
      const { file } = smallCopy(name, `${IDLE}volumes: [{ name: data, path: /data }]\n`, folders);
      assert.equal((await cli(['build', file])).code, 0);
      const docker = rawDocker();
      const volume = `mastercopy_${name}_data`;
      await docker.createVolume({ Name: volume, Labels: { [TEST_RUN_LABEL]: testRunId } });
      const user = await docker.createContainer({
        Image: 'busybox:stable',
        Cmd: ['sleep', '300'],
        Labels: { [TEST_RUN_LABEL]: testRunId },
        HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
      });
      await user.start();
      const before = await oursOf(name);
      const run = await cli(['print', file]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `volume named ${volume} exists but was not created by Master Copy .*Remove or rename it`,
        ),
      );
      assert.deepEqual(
        await oursOf(name),
        before,
        'no copy, network or record left by the failed print',
      );
      assert.equal((await user.inspect()).State.Running, true, "the user's container still runs");
      assert.deepEqual((await docker.getVolume(volume).inspect()).Labels, {
        [TEST_RUN_LABEL]: testRunId,
      });
    },
  );

  it('an image removed under a running version: ps says so, the copies keep running, print builds it again', async () => {
    const name = uniqueName('rmi');
    names.push(name);
    const { file } = smallCopy(name, IDLE, folders);
    const first = await cli(['print', file, '-q']);
    assert.equal(first.code, 0, first.stderr);
    const docker = rawDocker();
    // Forced, as `docker rmi -f` does: the image a running container uses loses its tag.
    await docker.getImage(`${name}:1.0.0`).remove({ force: true });

    const json = await cli(['ps', name, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const [record] = JSON.parse(json.stdout) as CopyRecord[];
    assert.equal(record.state, 'running');
    assert.equal(record.digestMatches, false);
    const table = await cli(['ps', name]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /\(image gone: print builds it again\)/, table.stdout);

    const again = await cli(['print', file]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Built /, 'built again, from the same master copy');
    const after = JSON.parse((await cli(['ps', name, '--json'])).stdout) as CopyRecord[];
    assert.deepEqual(
      after.map((r) => [r.index, r.digestMatches]),
      [
        [0, true],
        [1, true],
      ],
      'the same master copy gives the same digest: the old copy matches again',
    );
  });
});
