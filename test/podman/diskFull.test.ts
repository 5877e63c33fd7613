// A full disk during a build (issue 14, suite item 4): a second Podman service whose image
// store is a 48 MiB tmpfs (scripts/setup-podman.sh with MASTERCOPY_PODMAN_STORE_SIZE) builds
// a master copy whose step writes 100 MB. The build fails with the engine's words and what
// to do, exit 1, and nothing of it is left tagged; the small disk is unmounted afterwards.
import './podmanEngine';
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { repoRoot } from '../support/repoRoot';

const SOCKET = '/run/mastercopy-podman-small.sock';
const SMALL = {
  MASTERCOPY_PODMAN_SOCK: SOCKET,
  MASTERCOPY_PODMAN_STORE: '/run/mastercopy-podman-small',
  MASTERCOPY_PODMAN_STORE_SIZE: '48m',
  MASTERCOPY_PODMAN_IMAGES: 'busybox:stable',
  MASTERCOPY_PODMAN_LOG: '/var/log/mastercopy-podman-small.log',
};

function setup(command: 'start' | 'stop'): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'bash',
      ['scripts/setup-podman.sh', command],
      { cwd: repoRoot(), env: { ...process.env, ...SMALL }, timeout: 180_000 },
      (e, stdout, stderr) =>
        e ? reject(new Error(`${e.message}\n${stdout}${stderr}`)) : resolve(stdout),
    ),
  );
}

describe('a full disk during a build (a Podman service on a 48 MiB tmpfs)', function () {
  this.timeout(180_000);
  let folder: string;
  before(async () => {
    await setup('start');
    folder = mkdtempSync(join(tmpdir(), 'mastercopy-diskfull-'));
  });
  after(async () => {
    await setup('stop');
    rmSync(folder, { recursive: true, force: true });
  });

  it('fails with the cause and what to do, exit 1, and leaves nothing tagged', async () => {
    const file = join(folder, 'fill.mastercopy.yaml');
    writeFileSync(
      file,
      'mastercopy: 1\nname: mc-diskfull\nversion: "1.0.0"\nfrom: busybox:stable\n' +
        'build:\n  steps: ["dd if=/dev/zero of=/fill bs=1M count=100"]\ncommand: ["sleep", "3600"]\n',
    );
    const env = { ...process.env, DOCKER_HOST: `unix://${SOCKET}` };
    const r = await runCli(['build', '-q', file], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /No space left on device/);
    assert.match(
      r.stderr,
      /The engine's disk is full: free space where the engine keeps its data .*then build again; nothing of this build was tagged\./,
    );
    const ps = await runCli(['ps', '--json', 'mc-diskfull'], { env });
    assert.deepEqual(JSON.parse(ps.stdout), [], 'no copy');
    const images = await fetchImages();
    assert.ok(
      !images.some((i) => (i.RepoTags ?? []).some((t) => /mc-diskfull/.test(t))),
      `no image tagged: ${JSON.stringify(images.map((i) => i.RepoTags))}`,
    );
  });
});

/** GET /images/json on the small service. */
function fetchImages(): Promise<{ RepoTags?: string[] }[]> {
  return new Promise((resolve, reject) =>
    execFile(
      'curl',
      ['-fsS', '--unix-socket', SOCKET, 'http://localhost/images/json'],
      (e, stdout) => (e ? reject(e) : resolve(JSON.parse(stdout))),
    ),
  );
}
