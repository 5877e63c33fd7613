import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretError } from '../../../src/core/copies/errors';
import {
  MAX_SECRET_FILE_BYTES,
  nodeReadSecretFile,
  resolveSecrets,
} from '../../../src/core/copies/secrets';
import { nodeHttpProbe } from '../../../src/core/copies/health';
import {
  copyContainerSpec,
  copyName,
  durationMs,
  healthTiming,
  HTTP_PROBE_PATH,
  memoryBytes,
  networkName,
  parseHealthHttpLabel,
  volumeName,
  LABEL_HEALTH_HTTP,
} from '../../../src/core/copies/spec';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import schemaJson from '../../../schemas/mastercopy.schema.json';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const BASE: MasterCopy = { mastercopy: 1, name: 'demo', version: '1.2.0', from: 'busybox:stable' };
const input = { image: 'demo:1.2.0', digest: DIGEST, index: 3, network: 'mastercopy-demo' };

describe('copy container spec', () => {
  it('is hardened by default: read-only, ALL capabilities dropped, no-new-privileges, /tmp tmpfs, init, no restart', () => {
    const spec = copyContainerSpec(BASE, input);
    assert.equal(spec.readOnly, true);
    assert.deepEqual(spec.capDrop, ['ALL']);
    assert.deepEqual(spec.capAdd, []);
    assert.equal(spec.noNewPrivileges, true);
    assert.deepEqual(spec.tmpfs, ['/tmp']);
    assert.equal(spec.init, true);
    assert.equal(spec.restart, 'no');
    assert.equal(spec.memoryBytes, undefined);
    assert.equal(spec.network, 'mastercopy-demo');
    assert.equal(spec.image, 'demo:1.2.0');
    assert.equal(spec.name, 'demo_1.2.0_3');
    assert.equal(spec.env, undefined);
    assert.equal(spec.healthCheck, undefined);
  });

  it('takes runtime settings as the master copy says', () => {
    const spec = copyContainerSpec(
      {
        ...BASE,
        runtime: {
          readOnly: false,
          tmpfs: ['/tmp', '/run'],
          capabilities: { drop: ['NET_RAW'], add: ['NET_BIND_SERVICE'] },
          noNewPrivileges: false,
          memory: '64m',
          cpus: 0.5,
          restart: 'on-failure',
        },
      },
      input,
    );
    assert.equal(spec.readOnly, false);
    assert.deepEqual(spec.tmpfs, ['/tmp', '/run']);
    assert.deepEqual(spec.capDrop, ['NET_RAW']);
    assert.deepEqual(spec.capAdd, ['NET_BIND_SERVICE']);
    assert.equal(spec.noNewPrivileges, false);
    assert.equal(spec.memoryBytes, 64 * 1024 * 1024);
    assert.equal(spec.cpus, 0.5);
    assert.equal(spec.restart, 'on-failure');
  });

  it('adds capabilities back while still dropping ALL when only `add` is given', () => {
    const spec = copyContainerSpec(
      { ...BASE, runtime: { capabilities: { add: ['NET_BIND_SERVICE'] } } },
      input,
    );
    assert.deepEqual(spec.capDrop, ['ALL']);
    assert.deepEqual(spec.capAdd, ['NET_BIND_SERVICE']);
  });

  it("labels: the user's, then ours (ours win a clash), with the index and the digest", () => {
    const spec = copyContainerSpec(
      { ...BASE, labels: { team: 'payments', tier: 1, [LABEL_NAME]: 'spoofed' } },
      { ...input, extraLabels: { 'io.mastercopy.test-run': 'x', [LABEL_COPY]: '99' } },
    );
    assert.equal(spec.labels.team, 'payments');
    assert.equal(spec.labels.tier, '1');
    assert.equal(spec.labels['io.mastercopy.test-run'], 'x');
    assert.equal(spec.labels[LABEL_NAME], 'demo');
    assert.equal(spec.labels[LABEL_VERSION], '1.2.0');
    assert.equal(spec.labels[LABEL_DIGEST], DIGEST);
    assert.equal(spec.labels[LABEL_COPY], '3');
  });

  it('publishes every port on 127.0.0.1: ephemeral unless hostPort fixes it; udp kept', () => {
    const spec = copyContainerSpec(
      { ...BASE, ports: [8080, { port: 5353, protocol: 'udp' }, { port: 9000, hostPort: 19000 }] },
      input,
    );
    assert.deepEqual(spec.ports, [
      { containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: undefined },
      { containerPort: 5353, protocol: 'udp', hostIp: '127.0.0.1', hostPort: undefined },
      { containerPort: 9000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 19000 },
    ]);
  });

  it('mounts named volumes as mastercopy_NAME_VOLUME', () => {
    const spec = copyContainerSpec(
      {
        ...BASE,
        volumes: [
          { name: 'data', path: '/var/lib/x' },
          { name: 'conf', path: '/etc/x', readOnly: true },
        ],
      },
      input,
    );
    assert.deepEqual(spec.volumes, [
      { name: 'mastercopy_demo_data', path: '/var/lib/x', readOnly: false },
      { name: 'mastercopy_demo_conf', path: '/etc/x', readOnly: true },
    ]);
    assert.equal(volumeName('demo', 'data'), 'mastercopy_demo_data');
    // Names never collide across master copies (they did with '-': shop + b-data = shop-b + data).
    assert.notEqual(volumeName('shop', 'b-data'), volumeName('shop-b', 'data'));
    assert.notEqual(copyName('shop', 'b-1', 0), copyName('shop-b', '1', 0));
    assert.equal(networkName('demo'), 'mastercopy-demo');
  });

  it('puts secrets in the environment only — never in labels', () => {
    const spec = copyContainerSpec(
      { ...BASE, env: { LOG_LEVEL: 'info' }, secrets: [{ name: 'DB_PASSWORD', fromEnv: 'X' }] },
      { ...input, secrets: { DB_PASSWORD: 's3cr3t-value' } },
    );
    assert.deepEqual(
      spec.env,
      { DB_PASSWORD: 's3cr3t-value' },
      'env from `from` master copies is in the image, not repeated',
    );
    assert.ok(!JSON.stringify(spec.labels).includes('s3cr3t-value'));
    assert.ok(
      !JSON.stringify({ ...spec, env: undefined }).includes('s3cr3t-value'),
      'the value appears nowhere else in the spec',
    );
  });

  it('applies env, user, workdir, entrypoint and command at run time for a `dockerfile:` master copy', () => {
    const mc: MasterCopy = {
      mastercopy: 1,
      name: 'demo',
      version: '1',
      dockerfile: './Dockerfile',
      env: { A: 1 },
      user: '1000',
      workdir: '/w',
      entrypoint: ['/bin/sh', '-c'],
      command: 'echo hi',
    };
    const spec = copyContainerSpec(mc, { ...input, secrets: { S: 'v' } });
    assert.deepEqual(spec.env, { A: '1', S: 'v' });
    assert.equal(spec.user, '1000');
    assert.equal(spec.workdir, '/w');
    assert.deepEqual(spec.entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(spec.command, ['/bin/sh', '-c', 'echo hi']);
  });

  it('gives health.command to the engine with its timing; health.http becomes a label for ps', () => {
    const spec = copyContainerSpec(
      {
        ...BASE,
        health: {
          command: ['/bin/check', '--quick'],
          interval: '500ms',
          timeout: '2s',
          retries: 5,
          startPeriod: '1m',
        },
      },
      input,
    );
    assert.deepEqual(spec.healthCheck, {
      command: ['/bin/check', '--quick'],
      intervalMs: 500,
      timeoutMs: 2000,
      retries: 5,
      startPeriodMs: 60_000,
    });
    const http = copyContainerSpec(
      { ...BASE, ports: [8080], health: { http: { port: 8080, path: '/health' } } },
      input,
    );
    assert.equal(http.healthCheck, undefined);
    assert.equal(http.labels[LABEL_HEALTH_HTTP], '8080 /health');
    assert.deepEqual(healthTiming(undefined), {
      intervalMs: 2000,
      timeoutMs: 1000,
      retries: 3,
      startPeriodMs: 5000,
    });
  });

  it('durations, memory sizes and names', () => {
    assert.equal(durationMs('250ms', 0), 250);
    assert.equal(durationMs('3s', 0), 3000);
    assert.equal(durationMs('2m', 0), 120_000);
    assert.equal(durationMs('1h', 0), 3_600_000);
    assert.equal(durationMs(undefined, 7), 7);
    assert.equal(memoryBytes('512'), 512);
    assert.equal(memoryBytes('1k'), 1024);
    assert.equal(memoryBytes('1g'), 1024 ** 3);
    assert.equal(copyName('svc', '1.0.0_rc.1', 12), 'svc_1.0.0_rc.1_12');
    assert.equal(copyName('svc', 'a+b', 0), 'svc_a-b_0');
  });
});

describe('the health-http label and its readers', () => {
  it("checks paths with the schema's own pattern for health.http.path", () => {
    assert.equal(
      HTTP_PROBE_PATH.source.replace(/\\\//g, '/'),
      schemaJson.properties.health.properties.http.properties.path.pattern,
    );
  });

  it('reads "PORT PATH" with the path after the first space, and no valid port as no probe', () => {
    assert.deepEqual(parseHealthHttpLabel('8080 /health'), { port: 8080, path: '/health' });
    assert.deepEqual(parseHealthHttpLabel('8080'), { port: 8080, path: '/' });
    assert.deepEqual(
      parseHealthHttpLabel('8080 /a b'),
      { port: 8080, path: '/a b' },
      'the whole path, never cut at a blank',
    );
    for (const v of [undefined, '', 'x /', '0 /', '65536 /', ' 8080 /', '8080\t/'])
      assert.equal(parseHealthHttpLabel(v), undefined, JSON.stringify(v));
  });

  it('probes only a path a request can carry: never throws, never sends the rest', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      res.writeHead(req.url === '/health' ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      for (const path of ['/a b', '/a\tb', '/ü', '/日本', 'health'])
        assert.equal(await nodeHttpProbe({ host: '127.0.0.1', port, path }, 1000), undefined, path);
      assert.equal(requests, 0);
      assert.equal(await nodeHttpProbe({ host: '127.0.0.1', port, path: '/health' }, 1000), 200);
    } finally {
      server.close();
    }
  });
});

describe('secrets at print time', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-secrets-'));
    writeFileSync(join(folder, 'api-key'), 'key-from-file\n');
    writeFileSync(join(folder, 'empty'), '');
  });
  after(() => rmSync(folder, { recursive: true, force: true }));
  const read = (p: string) => require('node:fs').readFileSync(p, 'utf8') as string;

  it('reads fromEnv from the env passed in and fromFile relative to the folder (one trailing newline dropped)', async () => {
    const mc: MasterCopy = {
      ...BASE,
      secrets: [
        { name: 'DB_PASSWORD', fromEnv: 'MY_DB_PW' },
        { name: 'API_KEY', fromFile: './api-key' },
      ],
    };
    assert.deepEqual(await resolveSecrets(mc, folder, { MY_DB_PW: 'pw' }, read), {
      DB_PASSWORD: 'pw',
      API_KEY: 'key-from-file',
    });
  });

  it('reports every missing secret at once, by name, without any value', async () => {
    const mc: MasterCopy = {
      ...BASE,
      secrets: [
        { name: 'A', fromEnv: 'UNSET_VAR' },
        { name: 'B', fromFile: './no-such-file' },
        { name: 'C', fromEnv: 'EMPTY_VAR' },
        { name: 'D', fromFile: './empty' },
        { name: 'E', fromFile: '../outside' },
        { name: 'F', fromEnv: 'SET_VAR' },
      ],
    };
    await assert.rejects(
      resolveSecrets(mc, folder, { EMPTY_VAR: '', SET_VAR: 'visible-value' }, read),
      (e: Error) => {
        assert.ok(e instanceof SecretError);
        assert.deepEqual(
          e.problems.map((p) => p.secret),
          ['A', 'B', 'C', 'D', 'E'],
        );
        assert.match(e.message, /UNSET_VAR is not set/);
        assert.match(e.message, /no-such-file: no such file/);
        assert.match(e.message, /EMPTY_VAR is empty/);
        assert.match(e.message, /outside the master copy's folder/);
        assert.ok(!e.message.includes('visible-value'));
        return true;
      },
    );
  });

  it('follows a symlink only through the reader (the validator refuses links that lead out)', async () => {
    symlinkSync(join(folder, 'api-key'), join(folder, 'link'));
    assert.deepEqual(
      await resolveSecrets(
        { ...BASE, secrets: [{ name: 'K', fromFile: 'link' }] },
        folder,
        {},
        read,
      ),
      { K: 'key-from-file' },
    );
  });

  it('never reads a secret file that is a device or a FIFO, whatever reader is passed in', async () => {
    symlinkSync('/dev/zero', join(folder, 'zero'));
    execFileSync('mkfifo', [join(folder, 'fifo')]);
    const mc: MasterCopy = {
      ...BASE,
      secrets: [
        { name: 'Z', fromFile: './zero' },
        { name: 'F', fromFile: './fifo' },
      ],
    };
    for (const reader of [read, nodeReadSecretFile]) {
      await assert.rejects(resolveSecrets(mc, folder, {}, reader), (e: Error) => {
        assert.ok(e instanceof SecretError, e.message);
        // A link to /dev/zero leads out of the folder: refused for that, before any look at it.
        assert.match(e.message, /\.\/zero leads outside the master copy's folder/);
        assert.match(
          e.message,
          /cannot read \.\/fifo: it is a FIFO \(named pipe\), not a regular file/,
        );
        return true;
      });
    }
  });

  it('refuses a secret file larger than 1 MiB, saying the bound', async () => {
    writeFileSync(join(folder, 'huge'), Buffer.alloc(MAX_SECRET_FILE_BYTES + 1, 'k'));
    await assert.rejects(
      resolveSecrets(
        { ...BASE, secrets: [{ name: 'H', fromFile: './huge' }] },
        folder,
        {},
        nodeReadSecretFile,
      ),
      /cannot read \.\/huge: it is 1\.0 MiB; at most 1 MiB are read/,
    );
  });
});
