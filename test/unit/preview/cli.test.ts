import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../src/cli/main';
import { fixtureFolder, removeFixtures } from '../build/fixture';

const TEXT =
  'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\nfiles:\n' +
  '  - { path: /srv/www, source: ./www }\nports: [8080]\ncopies: 2\n';

async function run(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({ write: (chunk, _enc, done) => (add(String(chunk)), done()) });
  // No engine there: the plan must say engine-down and the command still succeed.
  const env = { DOCKER_HOST: 'unix:///nonexistent/mastercopy-test.sock', HOME: cwd };
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

describe('mastercopy preview (CLI)', () => {
  let folder: string;
  before(() => {
    folder = fixtureFolder({ 'www/index.html': 'hi\n' });
    writeFileSync(join(folder, 'demo.mastercopy.yaml'), TEXT);
    writeFileSync(join(folder, 'bad.mastercopy.yaml'), TEXT.replace('copies: 2', 'copies: 0'));
  });
  after(removeFixtures);

  it('prints the generated Dockerfile and nothing else', async () => {
    const r = await run(['preview', 'demo.mastercopy.yaml'], folder);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'FROM busybox:stable\nCOPY ["files/0", "/srv/www"]\nEXPOSE 8080/tcp\n');
    assert.equal(r.stderr, '');
  });

  it('--plan with the engine down: the context and an engine-down plan, exit 0', async () => {
    const r = await run(['preview', '--plan', 'demo.mastercopy.yaml'], folder);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^FROM busybox:stable\n/);
    assert.match(r.stdout, /Build context: 2 files, /);
    assert.match(r.stdout, /^  files\/0\/index\.html\s+3 B  0644  files\[0\]$/m);
    assert.match(
      r.stdout,
      /Plan: the engine is not reachable — Docker engine not reachable at unix:\/\/\/nonexistent\/mastercopy-test\.sock/,
    );
    assert.match(
      r.stdout,
      /^  Build     unknown \(engine not reachable\); this master copy's digest is [0-9a-f]{12}\.$/m,
    );
    assert.match(r.stdout, /^  Print ×2  unknown/m);
  });

  it('--plan --json: one JSON object with the plan', async () => {
    const r = await run(['preview', '--plan', '--json', 'demo.mastercopy.yaml'], folder);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'ok');
    assert.equal(out.tag, 'demo:1.0.0');
    assert.equal(out.dockerfile.source, 'generated');
    assert.deepEqual(
      out.context.map((e: { path: string }) => e.path),
      ['Dockerfile', 'files', 'files/0', 'files/0/index.html'],
    );
    assert.equal(out.plan.build.state, 'engine-down');
    assert.equal(out.plan.build.digest, out.digest);
    assert.equal(out.plan.engine.reachable, false);
    const plain = JSON.parse(
      (await run(['preview', '--json', 'demo.mastercopy.yaml'], folder)).stdout,
    );
    assert.equal(plain.plan, undefined, 'no plan without --plan');
  });

  it('an invalid file: problems like validate, exit 1; as JSON with --json', async () => {
    const r = await run(['preview', 'bad.mastercopy.yaml'], folder);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^bad\.mastercopy\.yaml:8:9: error: /m);
    const j = await run(['preview', '--json', 'bad.mastercopy.yaml'], folder);
    assert.equal(j.code, 1);
    const out = JSON.parse(j.stdout);
    assert.equal(out.status, 'invalid');
    assert.deepEqual(
      [out.problems[0].line, out.problems[0].column, out.problems[0].severity],
      [8, 9, 'error'],
    );
  });

  it('usage errors: no file, two files, a missing file', async () => {
    assert.equal((await run(['preview'], folder)).code, 2);
    assert.equal((await run(['preview', 'a.yaml', 'b.yaml'], folder)).code, 2);
    const missing = await run(['preview', 'missing.mastercopy.yaml'], folder);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read missing\.mastercopy\.yaml: no such file/);
  });
});
