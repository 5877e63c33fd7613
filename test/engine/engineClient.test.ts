import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  cpuPercent,
  type EngineClient,
  type EngineEvent,
} from '../../src/core/engine/EngineClient';
import { createEngineClient } from '../../src/core/engine/DockerodeEngineClient';
import {
  EngineRequestError,
  EngineUnreachableError,
  NotManagedError,
} from '../../src/core/engine/errors';
import { nodeHostResolutionDeps, resolveEngineHost } from '../../src/core/engine/hostResolution';
import { LABEL_COPY, LABEL_MANAGED, LABEL_NAME, LABEL_VERSION } from '../../src/core/engine/labels';
import { startEngineProxy } from '../support/engineProxy';
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

const NAME = 'engine-client-test';
/** Exits at once on SIGTERM (as PID 1 a plain `sleep` would ignore it until the stop timeout). */
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; sleep 300 & wait'];
const thisRun = { [TEST_RUN_LABEL]: testRunId };

function copyLabels(copy: number): Record<string, string> {
  return {
    ...testRunLabels,
    [LABEL_NAME]: NAME,
    [LABEL_VERSION]: '1.0.0',
    [LABEL_COPY]: String(copy),
  };
}

/** A one-file-per-entry tar archive (ustar), enough for a build context. */
function tarOf(files: Record<string, string>): Readable {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write(
      Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0') + '\0',
      136,
    );
    header.write('        ', 148); // checksum is computed with spaces here
    header.write('0', 156);
    header.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Readable.from([Buffer.concat(blocks)]);
}

describe('EngineClient (dockerode) against a real engine', () => {
  let client: EngineClient;

  before(async () => {
    await ensureEngine();
    client = createEngineClient(resolveEngineHost(TEST_ENGINE_HOST, nodeHostResolutionDeps()));
  });

  afterEach(async () => {
    await cleanupTestRun();
  });

  it('answers a ping and tells its version', async () => {
    await client.ping();
    const v = await client.version();
    assert.match(v.apiVersion, /^1\.\d+$/);
    assert.equal(v.os, 'linux');
  });

  it('prints a hardened copy, lists it by label, inspects it, stops and removes it', async () => {
    const { id } = await client.createAndStartContainer({
      image: 'busybox:stable',
      labels: copyLabels(0),
      command: IDLE,
      tmpfs: ['/tmp'],
    });

    const listed = await client.listContainers({ [LABEL_NAME]: NAME, ...thisRun });
    assert.deepEqual(
      listed.map((c) => c.id),
      [id],
    );
    assert.equal(listed[0].status, 'running');
    assert.equal(listed[0].labels[LABEL_MANAGED], 'true');
    assert.equal(listed[0].labels[LABEL_COPY], '0');

    const details = await client.inspectContainer(id);
    assert.ok(details);
    assert.equal(details.running, true);
    assert.equal(details.readOnly, true);
    assert.deepEqual(details.capDrop, ['ALL']);
    assert.deepEqual(details.capAdd, []);
    assert.ok(
      details.securityOpt.includes('no-new-privileges:true'),
      `securityOpt: ${details.securityOpt.join(', ')}`,
    );
    assert.deepEqual(Object.keys(details.tmpfs), ['/tmp']);
    assert.equal(details.labels[LABEL_VERSION], '1.0.0');

    // Another master copy's filter does not match: refused, and the copy survives.
    await assert.rejects(
      client.stopAndRemoveContainer(id, { [LABEL_NAME]: 'someone-else' }),
      NotManagedError,
    );
    assert.equal((await client.inspectContainer(id))?.running, true);

    await client.stopAndRemoveContainer(
      id,
      { [LABEL_NAME]: NAME, ...thisRun },
      { stopTimeoutSeconds: 5 },
    );
    assert.equal(await client.inspectContainer(id), undefined);
    assert.deepEqual(await client.listContainers(thisRun), []);
    // Removing what is gone already is not an error.
    await client.stopAndRemoveContainer(id, thisRun);
  });

  it("reads a running container's CPU counters (one-shot stats): a busy loop reads as busy, a gone container as undefined", async () => {
    const { id } = await client.createAndStartContainer({
      image: 'busybox:stable',
      labels: copyLabels(7),
      command: ['sh', '-c', 'while :; do :; done'],
    });
    try {
      const first = await client.cpuSample(id);
      assert.ok(first && first.systemNs > 0 && first.onlineCpus >= 1, JSON.stringify(first));
      let percent: number | undefined;
      await waitFor(
        'a second sample that moved',
        async () => {
          const next = await client.cpuSample(id);
          percent = next && cpuPercent(first, next);
          return percent !== undefined && next!.systemNs > first.systemNs;
        },
        10_000,
        200,
      );
      assert.ok((percent ?? 0) > 20, `a busy loop uses most of a core (${percent} %)`);
    } finally {
      await client.stopAndRemoveContainer(
        id,
        { [LABEL_NAME]: NAME, ...thisRun },
        { stopTimeoutSeconds: 1 },
      );
    }
    assert.equal(await client.cpuSample(id), undefined);
  });

  it('never lists a foreign container and refuses to remove it', async () => {
    const docker = rawDocker();
    // Looks like ours by name, but lacks io.mastercopy.managed.
    const foreign = await docker.createContainer({
      Image: 'busybox:stable',
      Cmd: IDLE,
      Labels: { ...thisRun, [LABEL_NAME]: NAME },
    });
    await foreign.start();

    const listed = await client.listContainers({});
    assert.ok(!listed.some((c) => c.id === foreign.id), 'the foreign container must not be listed');
    assert.deepEqual(await client.listContainers({ [LABEL_NAME]: NAME }), []);

    await assert.rejects(
      client.stopAndRemoveContainer(foreign.id, {}),
      (e: Error) => e instanceof NotManagedError && e.message.includes(foreign.id),
    );
    await assert.rejects(
      client.logs(foreign.id, {}, new AbortController().signal),
      NotManagedError,
    );
    // Handed its own inspection, the client still checks the labels in it.
    const inspected = await client.inspectContainer(foreign.id);
    assert.ok(inspected, 'inspecting (read-only) still answers for a foreign container');
    await assert.rejects(
      client.logs(foreign.id, { inspected }, new AbortController().signal),
      NotManagedError,
    );
    const after = await foreign.inspect();
    assert.equal(after.State.Running, true, 'the foreign container must survive');
  });

  it('sees the start event of a copy it prints', async () => {
    const ac = new AbortController();
    const deadline = setTimeout(() => ac.abort(), 30_000);
    try {
      const since = Date.now();
      const started = client.createAndStartContainer({
        image: 'busybox:stable',
        labels: copyLabels(1),
        command: IDLE,
      });
      let seen: EngineEvent | undefined;
      const { id } = await started;
      for await (const event of client.events(
        { labels: thisRun, types: ['container'], since },
        ac.signal,
      )) {
        if (event.id === id && event.action === 'start') {
          seen = event;
          break;
        }
      }
      assert.ok(seen, 'no start event within 30 s');
      assert.equal(seen.type, 'container');
      assert.equal(seen.attributes[LABEL_NAME], NAME);
      assert.ok(seen.time >= since - 1000, `event time ${seen.time} before ${since}`);
    } finally {
      clearTimeout(deadline);
      ac.abort();
    }
  });

  it('ends the event stream quietly when aborted', async () => {
    const ac = new AbortController();
    const iteration = (async () => {
      let n = 0;
      for await (const _ of client.events({ labels: thisRun }, ac.signal)) n++;
      return n;
    })();
    setImmediate(() => ac.abort());
    assert.equal(await iteration, 0);
  });

  it("follows a copy's log", async () => {
    const { id } = await client.createAndStartContainer({
      image: 'busybox:stable',
      labels: copyLabels(2),
      command: ['sh', '-c', 'echo hello from the copy; trap "exit 0" TERM; sleep 300 & wait'],
    });
    const ac = new AbortController();
    try {
      const { stream, multiplexed } = await client.logs(id, { tail: 100 }, ac.signal);
      assert.equal(multiplexed, true);
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      stream.on('error', () => undefined); // the abort below ends it
      await waitFor('the first log line', () => text.includes('hello from the copy'), 30_000, 20);
    } finally {
      ac.abort();
    }
  });

  it('says what the engine said when a log cannot be followed (a copy removed meanwhile)', async () => {
    const { id } = await client.createAndStartContainer({
      image: 'busybox:stable',
      labels: copyLabels(3),
      command: IDLE,
    });
    const inspected = await client.inspectContainer(id);
    assert.ok(inspected);
    await client.stopAndRemoveContainer(id, {}, { stopTimeoutSeconds: 0 });
    await assert.rejects(
      client.logs(id, { inspected }, new AbortController().signal),
      (e: unknown) =>
        e instanceof EngineRequestError &&
        e.statusCode === 404 &&
        /no such container/i.test(e.message),
    );
  });

  it('over plain tcp (DOCKER_HOST=tcp://…): follows a log on its own HTTP/1.0 connection', async () => {
    const proxy = await startEngineProxy({ tls: false });
    try {
      const overTcp = createEngineClient(
        resolveEngineHost(undefined, nodeHostResolutionDeps({ DOCKER_HOST: proxy.host })),
      );
      const { id } = await client.createAndStartContainer({
        image: 'busybox:stable',
        labels: copyLabels(5),
        command: ['sh', '-c', 'echo hello over tcp; trap "exit 0" TERM; sleep 300 & wait'],
      });
      const ac = new AbortController();
      try {
        const { stream } = await overTcp.logs(id, {}, ac.signal);
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        await waitFor('the line over tcp', () => text.includes('hello over tcp'), 30_000, 20);
      } finally {
        ac.abort();
      }
      assert.ok(
        proxy.requestLines.some((l) =>
          new RegExp(`^GET /containers/${id}/logs\\?.* HTTP/1\\.0$`).test(l),
        ),
        `the log over HTTP/1.0: ${proxy.requestLines.join(' | ')}`,
      );
    } finally {
      await proxy.close();
    }
  });

  it('over TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): answers, and follows a log on its own HTTP/1.0 connection', async () => {
    const tlsEngine = await startEngineProxy({ tls: true });
    try {
      const overTls = createEngineClient(
        resolveEngineHost(
          undefined,
          nodeHostResolutionDeps({
            DOCKER_HOST: tlsEngine.host,
            DOCKER_TLS_VERIFY: '1',
            DOCKER_CERT_PATH: tlsEngine.certPath,
          }),
        ),
      );
      assert.ok(overTls.endpoint.tls?.verify, "the engine's certificate is checked");
      await overTls.ping();
      const { id } = await client.createAndStartContainer({
        image: 'busybox:stable',
        labels: copyLabels(4),
        command: ['sh', '-c', 'echo hello over tls; trap "exit 0" TERM; sleep 300 & wait'],
      });
      const inspected = await overTls.inspectContainer(id);
      const ac = new AbortController();
      try {
        const { stream } = await overTls.logs(id, { inspected }, ac.signal);
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        await waitFor('the line over TLS', () => text.includes('hello over tls'), 30_000, 20);
      } finally {
        ac.abort();
      }
      assert.ok(
        tlsEngine.requestLines.some((l) => /^GET \/_ping HTTP\/1\.1$/.test(l)),
        `dockerode asked over HTTP/1.1: ${tlsEngine.requestLines.join(' | ')}`,
      );
      assert.ok(
        tlsEngine.requestLines.some((l) =>
          new RegExp(`^GET /containers/${id}/logs\\?.* HTTP/1\\.0$`).test(l),
        ),
        `the log over HTTP/1.0: ${tlsEngine.requestLines.join(' | ')}`,
      );

      // Without the client certificate the engine says no (a TLS failure, not a hang).
      const noCert = createEngineClient({
        ...overTls.endpoint,
        dockerodeOptions: { ...overTls.endpoint.dockerodeOptions, cert: undefined, key: undefined },
      });
      await assert.rejects(
        noCert.logs(id, { inspected }, new AbortController().signal),
        (e: Error) => !(e instanceof NotManagedError) && e.name !== 'AbortError',
      );
    } finally {
      await tlsEngine.close();
    }
  });

  it('builds an image from a tar stream with progress, labels and no pull', async () => {
    const progress: string[] = [];
    const tag = `${NAME}:${testRunId}`;
    const { imageId } = await client.buildImage(
      tarOf({ Dockerfile: 'FROM busybox:stable\nRUN echo built > /built.txt\n' }),
      { tag, labels: copyLabels(0) },
      (p) => {
        if (p.kind === 'output') progress.push(p.text);
      },
    );
    assert.match(imageId, /^(sha256:)?[0-9a-f]{12,64}$/);
    assert.ok(
      progress.some((l) => /RUN echo built/.test(l)),
      progress.join('\n'),
    );
    const image = await client.inspectImage(tag);
    assert.ok(image);
    assert.equal(image.labels[LABEL_MANAGED], 'true');
    assert.equal(image.labels[TEST_RUN_LABEL], testRunId);
    const listed = await client.listImages(thisRun);
    assert.ok(listed.some((i) => i.tags.includes(tag)));
    // The base image is not ours: inspectable, never listed.
    assert.ok(await client.inspectImage('busybox:stable'));
    assert.ok(!(await client.listImages({})).some((i) => i.tags.includes('busybox:stable')));
  });

  it('creates, lists and removes networks and volumes with our labels only', async () => {
    const network = await client.createNetwork({
      name: `mc-test-${testRunId}`,
      labels: { ...thisRun },
    });
    const volume = await client.createVolume({
      name: `mc-test-${testRunId}`,
      labels: { ...thisRun },
    });
    assert.deepEqual(
      (await client.listNetworks(thisRun)).map((n) => n.id),
      [network.id],
    );
    assert.deepEqual(
      (await client.listVolumes(thisRun)).map((v) => v.name),
      [volume.name],
    );

    const docker = rawDocker();
    const foreignVolume = await docker.createVolume({
      Name: `mc-foreign-${testRunId}`,
      Labels: { ...thisRun },
    });
    const foreignName = (foreignVolume as unknown as { name: string }).name;
    await assert.rejects(client.removeVolume(foreignName, {}), NotManagedError);
    assert.ok(await docker.getVolume(foreignName).inspect());

    await client.removeNetwork(network.id, thisRun);
    await client.removeVolume(volume.name, thisRun);
    assert.deepEqual(await client.listNetworks(thisRun), []);
    assert.deepEqual(await client.listVolumes(thisRun), []);
  });

  it('says which host is unreachable, and why', async () => {
    const unreachable = createEngineClient(
      resolveEngineHost('unix:///tmp/does-not-exist.sock', nodeHostResolutionDeps()),
    );
    await assert.rejects(unreachable.ping(), (e: Error) => {
      assert.ok(e instanceof EngineUnreachableError, `${e.name}: ${e.message}`);
      assert.match(
        e.message,
        /^Docker engine not reachable at unix:\/\/\/tmp\/does-not-exist\.sock \(connect ENOENT\) — is it running\?/,
      );
      return true;
    });
    await assert.rejects(unreachable.listContainers({}), EngineUnreachableError);
  });

  after(async () => {
    await cleanupTestRun();
  });
});
