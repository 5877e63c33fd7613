// The engine's records as Docker 20.10 (API 1.41) and Podman 4.3 really send them
// (captured by scripts/capture-engine-records.mjs into fixtures/), normalised; and what a
// malformed record does. Also the engine client reading them over a socket.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineClient } from '../../../src/core/engine/DockerodeEngineClient';
import {
  MalformedRecordError,
  containerDetails,
  containerSummary,
  engineEvent,
  engineVersion,
  familiarImageName,
  imageDetails,
  imageSummary,
  networkSummary,
  volumeList,
  volumeSummary,
} from '../../../src/core/engine/dockerRecords';
import { LABEL_MANAGED } from '../../../src/core/engine/labels';
import { resolveEngineHost } from '../../../src/core/engine/hostResolution';
import { repoRoot } from '../../support/repoRoot';

type Raw = Record<string, unknown>;
const fixture = (engine: string, name: string): unknown =>
  JSON.parse(
    readFileSync(join(repoRoot(), 'test/unit/engine/fixtures', engine, `${name}.json`), 'utf8'),
  );
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

for (const engine of ['docker', 'podman']) {
  describe(`engine records: ${engine}`, () => {
    const list = fixture(engine, 'containers-list') as Raw[];
    const runningRaw = fixture(engine, 'container-running') as Raw;
    const network = networkSummary(fixture(engine, 'network'));

    it('container summaries: state, status text, name without the slash, published ports, labels, ms', () => {
      const byIndex = new Map(
        list.map(containerSummary).map((c) => [c.labels['io.mastercopy.copy'], c]),
      );
      const running = byIndex.get('0')!;
      assert.equal(running.status, 'running');
      assert.match(running.name, /^mcfix-[0-9a-f]+-1\.0\.0-0$/);
      // Docker's names for both engines: Podman lists docker.io/library/NAME:VERSION.
      assert.match(running.image, /^mcfix-[0-9a-f]+:1\.0\.0$/);
      assert.match(running.imageId, /^sha256:[0-9a-f]{64}$/);
      assert.equal(running.labels[LABEL_MANAGED], 'true');
      const published = running.ports.filter((p) => p.hostPort !== undefined);
      assert.deepEqual(
        published.map((p) => ({ ...p, hostPort: typeof p.hostPort })),
        [{ containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 'number' }],
      );
      assert.ok(
        Math.abs(running.created - Date.parse(String(runningRaw.Created))) < 2000,
        'created in ms since the epoch',
      );
      assert.equal(byIndex.get('1')!.status, 'exited');
      assert.match(byIndex.get('1')!.statusText, /^Exited \(3\)/);
      assert.equal(byIndex.get('2')!.status, 'created');
    });

    it('a running, healthy copy in detail: hardening, health, ports, its address on its network', () => {
      const c = containerDetails(runningRaw);
      assert.equal(c.status, 'running');
      assert.equal(c.running, true);
      assert.equal(c.health, 'healthy');
      assert.match(c.name, /^mcfix-[0-9a-f]+-1\.0\.0-0$/);
      assert.match(c.imageId, /^sha256:/);
      assert.match(c.image, /^mcfix-[0-9a-f]+:1\.0\.0$/);
      assert.equal(c.readOnly, true);
      assert.equal(c.tty, false);
      assert.ok(c.env.includes('LOG_LEVEL=info'));
      // Docker keeps "ALL"; Podman lists every capability it dropped.
      assert.ok(
        engine === 'docker' ? c.capDrop.join() === 'ALL' : c.capDrop.includes('NET_RAW'),
        c.capDrop.join(),
      );
      assert.ok(c.securityOpt.some((o) => /^no-new-privileges(:true)?$/.test(o)));
      assert.ok('/tmp' in c.tmpfs);
      assert.ok(c.startedAt && !Number.isNaN(Date.parse(c.startedAt)));
      assert.equal(c.finishedAt, undefined, 'the zero time means never');
      assert.equal(c.restartCount, 0);
      const http = c.ports.find((p) => p.containerPort === 8080);
      assert.ok(
        http &&
          http.protocol === 'tcp' &&
          http.hostIp === '127.0.0.1' &&
          typeof http.hostPort === 'number' &&
          http.hostPort > 0,
      );
      assert.deepEqual(
        c.ports.find((p) => p.containerPort === 5353),
        { containerPort: 5353, protocol: 'udp' },
      );
      assert.deepEqual(Object.keys(c.addresses), [network.name]);
      assert.match(c.addresses[network.name], /^\d+\.\d+\.\d+\.\d+$/);
      // What drift compares with the version (no limits in these captures).
      assert.deepEqual(
        [c.memoryBytes, c.nanoCpus, c.restartPolicy, c.privileged, c.user, c.entrypoint],
        [0, 0, 'on-failure', false, '', []],
      );
      assert.deepEqual(c.cmd, ['/bin/httpd', '-f', '-p', '8080', '-h', '/tmp']);
    });

    it('an exited copy: exit code, finish time, no health, no address; one never started: created, tty', () => {
      const exited = containerDetails(fixture(engine, 'container-exited'));
      assert.equal(exited.status, 'exited');
      assert.equal(exited.running, false);
      assert.equal(exited.exitCode, 3);
      assert.ok(exited.finishedAt);
      assert.equal(exited.health, undefined);
      assert.deepEqual(exited.addresses, {});
      const created = containerDetails(fixture(engine, 'container-created'));
      assert.equal(created.status, 'created');
      assert.equal(created.startedAt, undefined);
      assert.equal(created.tty, true);
    });

    it('images, networks and volumes, listed and inspected', () => {
      const [listed] = (fixture(engine, 'images-list') as unknown[]).map(imageSummary);
      const inspected = imageDetails(fixture(engine, 'image'));
      assert.equal(inspected.id, listed.id);
      assert.match(listed.tags[0], /^mcfix-[0-9a-f]+:1\.0\.0$/);
      assert.deepEqual(inspected.tags, listed.tags);
      assert.equal(listed.labels[LABEL_MANAGED], 'true');
      assert.equal(inspected.labels['io.mastercopy.version'], '1.0.0');
      assert.ok(listed.size > 0 && inspected.size > 0);
      assert.ok(
        Math.abs(listed.created - Date.parse(inspected.created)) < 1000,
        'list: seconds → ms; inspect: the time as text',
      );

      const [listedNet] = (fixture(engine, 'networks-list') as unknown[]).map(networkSummary);
      assert.deepEqual(listedNet, network);
      assert.equal(network.driver, 'bridge');
      assert.equal(network.labels[LABEL_MANAGED], 'true');

      const [listedVolume] = volumeList(fixture(engine, 'volumes-list'));
      assert.deepEqual(listedVolume, volumeSummary(fixture(engine, 'volume')));
      assert.match(listedVolume.name, /^mcfix-[0-9a-f]+-data$/);
      assert.equal(listedVolume.driver, 'local');
    });

    it('events: every one reads; times in ms; the health event in one form for both engines', () => {
      const raw = fixture(engine, 'events') as Raw[];
      const events = raw.map((e) => engineEvent(e, () => 0));
      assert.ok(events.every((e) => e && e.time > 1_700_000_000_000));
      const id = containerDetails(runningRaw).id;
      const mine = events.filter((e) => e?.id === id).map((e) => e!.action);
      assert.ok(
        mine.includes('create') && mine.includes('start') && mine.includes('die'),
        mine.join(),
      );
      assert.ok(
        mine.some((a) => /^health_status: (starting|healthy)$/.test(a)),
        mine.join(),
      );
      const start = events.find((e) => e?.id === id && e.action === 'start')!;
      assert.equal(start.type, 'container');
      assert.equal(start.attributes['io.mastercopy.copy'], '0');
      assert.match(start.attributes.name, /-1\.0\.0-0$/);
    });

    it('version', () => {
      const v = engineVersion(fixture(engine, 'version'));
      assert.equal(v.apiVersion, '1.41');
      assert.equal(v.os, 'linux');
      assert.match(v.version, /^\d+\.\d+\.\d+/);
    });
  });
}

describe('engine records: image names as Docker says them', () => {
  it("Podman's docker.io/library/NAME and docker.io/ORG/NAME are NAME and ORG/NAME; other registries, ids and localhost/ stay", () => {
    assert.equal(familiarImageName('docker.io/library/shop:1.0.0'), 'shop:1.0.0');
    assert.equal(familiarImageName('docker.io/acme/shop:1.0.0'), 'acme/shop:1.0.0');
    for (const same of [
      'shop:1.0.0',
      'acme/shop:1.0.0',
      'localhost/shop:1.0.0',
      'quay.io/acme/shop:1',
      'docker.io.example.com/shop:1',
      'sha256:0c525e46a881b65c9130f1c38ad4fe561b9361691821a8e3340ac6f005af91ad',
    ])
      assert.equal(familiarImageName(same), same);
  });
});

describe('engine records: malformed ones fail, naming the field', () => {
  const summary = (fixture('docker', 'containers-list') as Raw[])[0];

  it('a wrong type, an unknown state, a missing id', () => {
    const badPort = clone(summary);
    badPort.Ports = [{ PrivatePort: '8080', Type: 'tcp' }];
    assert.throws(
      () => containerSummary(badPort),
      (e: unknown) =>
        e instanceof MalformedRecordError &&
        e.record === 'container summary' &&
        /Ports\[0\]\.PrivatePort: expected number, got "8080"/.test(e.message),
    );
    assert.throws(
      () => containerSummary({ ...summary, State: 'sleeping' }),
      /State: expected one of "created", "running", .*got "sleeping"/,
    );
    const { Id: _id, ...noId } = summary;
    assert.throws(() => containerSummary(noId), /Id: expected string, got nothing/);
    assert.throws(
      () => containerSummary('not a record'),
      /the record: expected object, got "not a record"/,
    );
  });

  it('in detail: a nested field', () => {
    const running = clone(fixture('docker', 'container-running') as { State: Raw });
    running.State.Running = 'yes';
    assert.throws(
      () => containerDetails(running),
      (e: unknown) =>
        e instanceof MalformedRecordError &&
        /The engine sent a container that Master Copy cannot read \(State\.Running: expected boolean, got "yes"\)/.test(
          e.message,
        ),
    );
  });

  it('nulls where Docker sends them are empty, not errors', () => {
    const c = containerSummary({ ...summary, Labels: null, Ports: null, Names: null });
    assert.deepEqual([c.labels, c.ports, c.name], [{}, [], '']);
    assert.deepEqual(volumeList({ Volumes: null, Warnings: null }), []);
  });

  it('an event line in the old form (no Type, no Action) is skipped; a half one is malformed', () => {
    assert.equal(engineEvent({ status: 'start', id: 'abc', from: 'busybox' }), undefined);
    assert.throws(
      () => engineEvent({ Type: 'container', Actor: { ID: 'abc' } }),
      /event .*Action: expected string, got nothing/,
    );
    assert.deepEqual(engineEvent({ Type: 'network', Action: 'create', time: 5 }), {
      type: 'network',
      action: 'create',
      id: '',
      attributes: {},
      time: 5000,
    });
  });
});

describe('engine client: records read over the API', () => {
  let server: Server;
  let client: ReturnType<typeof createEngineClient>;
  let answers: Record<string, unknown>;
  /** The `filters` query of each request, by path. */
  const filtersSent = new Map<string, unknown>();

  before(async () => {
    const path = join(tmpdir(), `mc-records-${process.pid}.sock`);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://engine');
      const filters = url.searchParams.get('filters');
      filtersSent.set(url.pathname.replace(/^\/v[0-9.]+/, ''), filters && JSON.parse(filters));
      const body = answers[url.pathname.replace(/^\/v[0-9.]+/, '')];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { message: 'no such object' }));
    });
    await new Promise<void>((r) => server.listen(path, r));
    client = createEngineClient(
      resolveEngineHost(`unix://${path}`, {
        env: {},
        homeDir: '/nonexistent',
        readFile: () => undefined,
        exists: () => false,
      }),
    );
  });
  after(() => server.close());

  it('lists and inspects through the normalisers; a missing object is undefined', async () => {
    const running = fixture('podman', 'container-running') as { Id: string };
    answers = {
      '/containers/json': fixture('podman', 'containers-list'),
      [`/containers/${running.Id}/json`]: running,
    };
    const copies = await client.listContainers({ 'io.mastercopy.copy': true });
    assert.equal(copies.length, 3);
    assert.equal((await client.inspectContainer(running.Id))?.health, 'healthy');
    assert.equal(await client.inspectContainer('gone'), undefined);
    assert.equal(await client.inspectImage('gone:1'), undefined);
  });

  it('lists images by one label filter, the sharpest, and matches the rest itself (Podman 4.3 lists none for two)', async () => {
    const image = (fixture('podman', 'images-list') as Raw[])[0];
    const other = { ...image, Id: 'sha256:other', Labels: { [LABEL_MANAGED]: 'true' } };
    answers = { '/images/json': [image, other] };
    const name = (image.Labels as Record<string, string>)['io.mastercopy.name'];
    const byName = await client.listImages({
      'io.mastercopy.name': name,
      'io.mastercopy.version': true,
    });
    assert.deepEqual(filtersSent.get('/images/json'), { label: [`io.mastercopy.name=${name}`] });
    assert.deepEqual(
      byName.map((i) => i.tags),
      [[`${name}:1.0.0`]],
    );
    const any = await client.listImages({ 'io.mastercopy.name': true });
    assert.deepEqual(filtersSent.get('/images/json'), { label: [`${LABEL_MANAGED}=true`] });
    assert.deepEqual(
      any.map((i) => i.id),
      [image.Id],
    );
  });

  it('a malformed answer is an error, not a half-read copy', async () => {
    const list = clone(fixture('docker', 'containers-list') as Raw[]);
    list[1].Created = 'yesterday';
    answers = { '/containers/json': list };
    await assert.rejects(
      client.listContainers({}),
      (e: unknown) =>
        e instanceof MalformedRecordError &&
        /Created: expected number, got "yesterday"/.test(e.message),
    );
  });
});
