// specDrift: what a print would create against the engine's record of a container. Each
// property a copy can differ in is reported once, with both sides; what the image supplies
// counts as expected; a variable nobody set is reported without its value.
import * as assert from 'node:assert/strict';
import {
  driftDiagnostics,
  specDrift,
  type CopyDrift,
  type DriftItem,
} from '../../../src/core/drift/drift';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import { validateText } from '../../../src/core/mastercopy/validator';
import type {
  ContainerDetails,
  ContainerSpec,
  ImageConfig,
} from '../../../src/core/engine/EngineClient';

const IMAGE: ImageConfig = {
  env: ['PATH=/usr/bin', 'LOG_LEVEL=info'],
  user: 'node',
  workdir: '/app',
  cmd: ['node', 'server.js'],
  entrypoint: [],
  volumes: ['/cache'],
};

const SPEC: ContainerSpec = {
  image: 'shop:1.0.0',
  labels: { 'io.mastercopy.name': 'shop', team: 'payments' },
  ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1' }],
  readOnly: true,
  tmpfs: ['/tmp'],
  capDrop: ['ALL'],
  capAdd: [],
  noNewPrivileges: true,
  memoryBytes: 64 * 1024 ** 2,
  restart: 'on-failure',
  volumes: [{ name: 'mastercopy_shop_data', path: '/data' }],
  network: 'mastercopy-shop',
};

/** A container exactly as SPEC on IMAGE would be created. */
function asCreated(): ContainerDetails {
  return {
    id: 'c1',
    name: 'shop_1.0.0_0',
    image: 'shop:1.0.0',
    imageId: 'sha256:aaaa',
    labels: { 'io.mastercopy.name': 'shop', team: 'payments', 'io.mastercopy.managed': 'true' },
    status: 'running',
    running: true,
    exitCode: 0,
    restartCount: 0,
    tty: false,
    env: ['PATH=/usr/bin', 'LOG_LEVEL=info', 'HOSTNAME=abc'],
    readOnly: true,
    capAdd: [],
    capDrop: ['ALL'],
    securityOpt: ['no-new-privileges:true'],
    tmpfs: { '/tmp': '' },
    memoryBytes: 64 * 1024 ** 2,
    nanoCpus: 0,
    restartPolicy: 'on-failure',
    privileged: false,
    user: 'node',
    workdir: '/app',
    cmd: ['node', 'server.js'],
    entrypoint: [],
    ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32768 }],
    portBindings: [{ containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1' }],
    mounts: [
      {
        type: 'volume',
        name: 'mastercopy_shop_data',
        source: '/v',
        destination: '/data',
        readOnly: false,
      },
      { type: 'volume', name: 'f00d', source: '/v2', destination: '/cache', readOnly: false },
    ],
    addresses: { 'mastercopy-shop': '10.0.0.2' },
  };
}

const drift = (d: ContainerDetails, secrets: string[] = []) =>
  specDrift(SPEC, d, 'sha256:aaaa', IMAGE, new Set(secrets)).map((i) => [
    i.what,
    i.expected,
    i.actual,
  ]);

describe('specDrift', () => {
  it('a container as created (the image’s command, user, env and anonymous VOLUME) is clean', () => {
    assert.deepEqual(drift(asCreated()), []);
  });

  it('reports a command, user, workdir, label, port, tmpfs and mount that differ, each with both sides', () => {
    const d = asCreated();
    d.cmd = ['sh', '-c', 'sleep 1d'];
    d.user = 'root';
    d.workdir = '/';
    d.labels.team = 'ops';
    d.portBindings = [{ containerPort: 9090, protocol: 'tcp', hostIp: '0.0.0.0' }];
    d.tmpfs = {};
    d.mounts = [
      { type: 'bind', source: '/etc', destination: '/data', readOnly: true },
      ...d.mounts.slice(1),
    ];
    assert.deepEqual(drift(d), [
      ['label team', 'payments', 'ops'],
      ['command', 'node server.js', 'sh -c "sleep 1d"'],
      ['user', 'node', 'root'],
      ['workdir', '/app', '/'],
      ['published ports', '8080/tcp on 127.0.0.1', '9090/tcp on 0.0.0.0'],
      ['tmpfs', '/tmp', '(none)'],
      ['mounts', '/data volume mastercopy_shop_data', '/data bind /etc (read-only)'],
    ]);
  });

  it('an env value changed is shown; a variable nobody set is reported without its value; secrets are left to their hash check', () => {
    const d = asCreated();
    d.env = ['PATH=/usr/bin', 'LOG_LEVEL=debug', 'AWS_SECRET=hunter2', 'DB_PASSWORD=x'];
    const items = drift(d, ['DB_PASSWORD']);
    assert.deepEqual(items, [
      ['env LOG_LEVEL', 'info', 'debug'],
      ['env AWS_SECRET', '(unset)', '(set)'],
    ]);
    assert.ok(!JSON.stringify(items).includes('hunter2'));
  });

  it("Podman's own writable tmpfs of a read-only container (/run, /tmp, /var/tmp) are not a change; another tmpfs is", () => {
    const podman = 'rw,rprivate,nosuid,nodev,tmpcopyup';
    const d = asCreated();
    d.tmpfs = { '/run': podman, '/tmp': podman, '/var/tmp': podman };
    assert.deepEqual(drift(d), []);
    d.tmpfs['/srv/cache'] = podman;
    assert.deepEqual(drift(d), [['tmpfs', '/tmp', '/srv/cache, /tmp']]);
    // With other options, or on a writable root, /run is not the engine's doing.
    d.tmpfs = { '/tmp': '', '/run': 'rw,size=1g' };
    assert.deepEqual(drift(d), [['tmpfs', '/tmp', '/run, /tmp']]);
  });

  it('an entrypoint given at create drops the image’s command, as the engine does', () => {
    const d = asCreated();
    d.entrypoint = ['/bin/app'];
    d.cmd = [];
    assert.deepEqual(
      specDrift({ ...SPEC, entrypoint: ['/bin/app'] }, d, 'sha256:aaaa', IMAGE, new Set()),
      [],
    );
  });
});

describe('driftDiagnostics', () => {
  const text = [
    'mastercopy: 1',
    'name: shop',
    'version: "1.0.0"',
    'from: busybox:stable',
    'env:',
    '  LOG_LEVEL: info',
    'runtime:',
    '  memory: 64m',
    '',
  ].join('\n');
  const parsed = validateText(text, {}, nodeFileAccess).parsed;
  const drifted = (version: string, items: DriftItem[]): CopyDrift => ({
    role: 'copy',
    name: 'shop',
    version,
    index: 1,
    id: 'c1',
    state: 'drifted',
    items,
  });
  const at = (d: { range: { start: number; end: number } }) =>
    text.slice(d.range.start, d.range.end);

  it('puts each difference at the key of the property, the nearest one the file has', () => {
    const ds = driftDiagnostics(parsed, { name: 'shop', version: '1.0.0' }, [
      drifted('1.0.0', [
        { what: 'memory', expected: '64m', actual: '128m', inPlace: true },
        { what: 'env LOG_LEVEL', expected: 'info', actual: 'debug', inPlace: false },
        { what: 'CPUs', expected: 'no limit', actual: '0.3', inPlace: true },
        {
          what: 'published ports',
          expected: '(none)',
          actual: '80/tcp on 0.0.0.0',
          inPlace: false,
        },
      ]),
    ]);
    assert.deepEqual(
      ds.map((d) => [at(d), d.severity, d.code]),
      [
        ['memory', 'warning', 'drift'],
        ['LOG_LEVEL', 'warning', 'drift'],
        ['runtime', 'warning', 'drift'],
        ['name', 'warning', 'drift'],
      ],
    );
    assert.match(
      ds[0].message,
      /^copy 1 of 1\.0\.0 runs with memory 128m; this file says 64m \(changed in place\)\./,
    );
  });

  it('says nothing of other versions, clean copies or copies that cannot be checked', () => {
    const mc = { name: 'shop', version: '1.0.0' };
    const item = { what: 'memory', expected: '64m', actual: '128m', inPlace: true };
    assert.deepEqual(driftDiagnostics(parsed, mc, [drifted('0.9.0', [item])]), []);
    assert.deepEqual(
      driftDiagnostics(parsed, mc, [{ ...drifted('1.0.0', []), state: 'clean' }]),
      [],
    );
    assert.deepEqual(
      driftDiagnostics(parsed, mc, [
        { ...drifted('1.0.0', []), state: 'cannot-check', reason: 'gone' },
      ]),
      [],
    );
  });
});
