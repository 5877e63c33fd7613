#!/usr/bin/env node
// Captures real engine records for the unit tests of src/core/engine/dockerRecords.ts:
// makes a few labelled objects on an engine (an image, a network, a volume, a healthy
// running container, one that exited, one never started), writes what the engine answers
// about them to test/unit/engine/fixtures/ENGINE/, and removes everything again.
//
//   node scripts/capture-engine-records.mjs docker unix:///var/run/docker.sock busybox:stable
//   node scripts/capture-engine-records.mjs podman unix:///tmp/podman.sock localhost/busybox:stable
//
// Only objects carrying io.mastercopy.fixture-capture=RUN are created or removed. Bulky
// parts that no normaliser reads (GraphDriver, RootFS, …) are dropped from the fixtures.
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [engineName, host, baseImage] = process.argv.slice(2);
if (!engineName || !host?.startsWith('unix://') || !baseImage) {
  console.error('usage: capture-engine-records.mjs NAME unix:///PATH.sock BASE_IMAGE');
  process.exit(2);
}
const socketPath = host.slice('unix://'.length);
const run = randomBytes(4).toString('hex');
const CAPTURE = 'io.mastercopy.fixture-capture';
const name = `mcfix-${run}`;
const labels = { 'io.mastercopy.managed': 'true', 'io.mastercopy.name': name, [CAPTURE]: run };
const outDir = resolve(import.meta.dirname, '..', 'test', 'unit', 'engine', 'fixtures', engineName);

function api(method, path, body, { raw = false, headers = {} } = {}) {
  return new Promise((resolveRequest, reject) => {
    const payload =
      body === undefined
        ? undefined
        : Buffer.isBuffer(body)
          ? body
          : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: {
          ...(payload && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          if (res.statusCode >= 400)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${buf.toString()}`));
          else resolveRequest(raw ? buf : buf.length ? JSON.parse(buf.toString()) : undefined);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const q = (o) =>
  new URLSearchParams(
    Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  ).toString();
const filters = { label: [`${CAPTURE}=${run}`] };

/** A tar archive holding one file (ustar): the build context. */
function tarOf(fileName, text) {
  const body = Buffer.from(text);
  const header = Buffer.alloc(512);
  const field = (value, offset, length) => header.write(value, offset, length, 'latin1');
  field(fileName, 0, 100);
  field('0000644\0', 100, 8);
  field('0000000\0', 108, 8);
  field('0000000\0', 116, 8);
  field(body.length.toString(8).padStart(11, '0') + '\0', 124, 12);
  field(
    Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0') + '\0',
    136,
    12,
  );
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, pad, Buffer.alloc(1024)]);
}

const BULKY = new Set([
  'GraphDriver',
  'RootFS',
  'ContainerConfig',
  'Mounts',
  'Metadata',
  'History',
  'ExecIDs',
]);
function trim(value) {
  if (Array.isArray(value)) return value.map(trim);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !BULKY.has(k))
        .map(([k, v]) => [k, trim(v)]),
    );
  return value;
}

function save(file, value) {
  writeFileSync(join(outDir, file), JSON.stringify(trim(value), null, 2) + '\n');
  console.log(`wrote ${join(outDir, file)}`);
}

async function until(what, test, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await test()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const created = { containers: [], network: undefined, volume: undefined, image: undefined };
const since = Math.floor(Date.now() / 1000) - 1;
try {
  mkdirSync(outDir, { recursive: true });
  const version = await api('GET', '/version');
  const tag = `${name}:1.0.0`;
  const dockerfile = `FROM ${baseImage}\nLABEL io.mastercopy.version=1.0.0\n`;
  const buildQuery = q({ t: tag, labels: labels, pull: '0', rm: '1', forcerm: '1' });
  await api('POST', `/build?${buildQuery}`, tarOf('Dockerfile', dockerfile), {
    raw: true,
    headers: { 'content-type': 'application/x-tar' },
  });
  created.image = tag;
  const network = await api('POST', '/networks/create', {
    Name: name,
    Driver: 'bridge',
    Labels: labels,
    CheckDuplicate: true,
  });
  created.network = network.Id;
  const volume = await api('POST', '/volumes/create', { Name: `${name}-data`, Labels: labels });
  created.volume = volume.Name;

  const copy = (index) => ({
    ...labels,
    'io.mastercopy.version': '1.0.0',
    'io.mastercopy.copy': String(index),
  });
  const healthy = await api('POST', `/containers/create?name=${name}-1.0.0-0`, {
    Image: tag,
    Labels: copy(0),
    Cmd: ['/bin/httpd', '-f', '-p', '8080', '-h', '/tmp'],
    Env: ['LOG_LEVEL=info'],
    ExposedPorts: { '8080/tcp': {}, '5353/udp': {} },
    Healthcheck: {
      Test: ['CMD', '/bin/true'],
      Interval: 500_000_000,
      Timeout: 1_000_000_000,
      Retries: 3,
    },
    HostConfig: {
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': '' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      RestartPolicy: { Name: 'on-failure' },
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      Mounts: [{ Type: 'volume', Source: volume.Name, Target: '/data' }],
      NetworkMode: name,
      Init: true,
    },
  });
  created.containers.push(healthy.Id);
  await api('POST', `/containers/${healthy.Id}/start`);
  // Podman runs health checks from systemd timers, which a machine without systemd lacks: run one by hand.
  if (engineName === 'podman')
    execFileSync('podman', ['healthcheck', 'run', healthy.Id], { stdio: 'inherit' });
  await until(
    'the running copy to be healthy',
    async () =>
      (await api('GET', `/containers/${healthy.Id}/json`)).State.Health?.Status === 'healthy',
  );

  const exited = await api('POST', `/containers/create?name=${name}-1.0.0-1`, {
    Image: tag,
    Labels: copy(1),
    Cmd: ['sh', '-c', 'echo "starting: ünïcode ✓"; echo "a warning" >&2; echo last line; exit 3'],
    HostConfig: { ReadonlyRootfs: true, CapDrop: ['ALL'], NetworkMode: name },
  });
  created.containers.push(exited.Id);
  await api('POST', `/containers/${exited.Id}/start`);
  await api('POST', `/containers/${exited.Id}/wait`);

  const never = await api('POST', `/containers/create?name=${name}-1.0.0-2`, {
    Image: tag,
    Labels: copy(2),
    Tty: true,
    Cmd: ['sh'],
    HostConfig: { NetworkMode: 'none' },
  });
  created.containers.push(never.Id);

  save('version.json', version);
  save('containers-list.json', await api('GET', `/containers/json?${q({ all: '1', filters })}`));
  save('container-running.json', await api('GET', `/containers/${healthy.Id}/json`));
  save('container-exited.json', await api('GET', `/containers/${exited.Id}/json`));
  save('container-created.json', await api('GET', `/containers/${never.Id}/json`));
  const log = await api(
    'GET',
    `/containers/${exited.Id}/logs?${q({ stdout: '1', stderr: '1', timestamps: '1' })}`,
    undefined,
    { raw: true },
  );
  save('logs-exited.json', { multiplexed: true, base64: log.toString('base64') });
  save('images-list.json', await api('GET', `/images/json?${q({ filters })}`));
  save('image.json', await api('GET', `/images/${encodeURIComponent(tag)}/json`));
  save('networks-list.json', await api('GET', `/networks?${q({ filters })}`));
  save('network.json', await api('GET', `/networks/${network.Id}`));
  save('volumes-list.json', await api('GET', `/volumes?${q({ filters })}`));
  save('volume.json', await api('GET', `/volumes/${encodeURIComponent(volume.Name)}`));

  // Events: ours only (containers by label; the network, volume and image by id or name).
  await api('POST', `/containers/${healthy.Id}/stop?t=1`);
  const body = await api(
    'GET',
    `/events?${q({ since: String(since), until: String(Math.floor(Date.now() / 1000) + 1) })}`,
    undefined,
    { raw: true },
  );
  const ours = new Set([...created.containers, network.Id, volume.Name, name, tag]);
  const events = body
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter(
      (e) =>
        ours.has(e.Actor?.ID) ||
        ours.has(e.id) ||
        e.Actor?.Attributes?.[CAPTURE] === run ||
        ours.has(e.Actor?.Attributes?.name),
    );
  save('events.json', events);
} finally {
  for (const id of created.containers)
    await api('DELETE', `/containers/${id}?force=1&v=0`).catch((e) => console.error(e.message));
  if (created.network)
    await api('DELETE', `/networks/${created.network}`).catch((e) => console.error(e.message));
  if (created.volume)
    await api('DELETE', `/volumes/${encodeURIComponent(created.volume)}`).catch((e) =>
      console.error(e.message),
    );
  if (created.image)
    await api('DELETE', `/images/${encodeURIComponent(created.image)}?force=1`).catch((e) =>
      console.error(e.message),
    );
}
