// A secret's value appears nowhere but in the copies' environment (issue 14, suite item 5),
// against a real engine and through the CLI. (The image of a secret with fromFile, and the
// last log lines of an unhealthy print, are in build.test.ts and copies.test.ts.)
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { nodeBuildFileSystem } from '../../src/core/build/buildFileSystem';
import { planBuild } from '../../src/core/build/plan';
import { rawDocker } from '../support/engine';
import { smallCopy, uniqueName, useSmallCopies } from '../support/smallCopy';

const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const ENV_NAME = `MC_SECURITY_TEST_${randomBytes(4).toString('hex').toUpperCase()}`;

function assertNoSecret(what: string, text: string): void {
  assert.ok(!text.includes(SECRET), `the secret's value is in ${what}:\n${text.slice(0, 2000)}`);
}

const BODY =
  'from: busybox:stable\n' +
  'files:\n  - path: /srv/www/health\n    content: ok\n' +
  'command: ["/bin/httpd", "-f", "-v", "-p", "8080", "-h", "/srv/www"]\n' +
  'ports: [8080]\n' +
  'env: { LOG_LEVEL: info }\n' +
  `secrets:\n  - { name: DB_PASSWORD, fromEnv: ${ENV_NAME} }\n`;

describe('secrets against a real engine', function () {
  this.timeout(180_000);
  const small = useSmallCopies();
  const { names, folders } = small;
  const cli = (args: string[]) => small.cli(args, { [ENV_NAME]: SECRET });

  it("is in the copies' environment, and nowhere else: image, history, labels, plan, context, CLI output, ps, preview, drift", async () => {
    const name = uniqueName('secret');
    names.push(name);
    const { mc, folder, file } = smallCopy(
      name,
      `${BODY}health:\n  http: { port: 8080, path: /health }\n  interval: 500ms\n  startPeriod: 1s\n`,
      folders,
    );
    const print = await cli(['print', file, '--copies', '2']);
    assert.equal(print.code, 0, print.stderr);
    assertNoSecret('what print wrote', print.stdout + print.stderr);

    const docker = rawDocker();
    const containers = await docker.listContainers({
      filters: { label: [`io.mastercopy.name=${name}`] },
    });
    assert.equal(containers.length, 2);
    for (const c of containers) {
      const info = await docker.getContainer(c.Id).inspect();
      assert.ok(info.Config.Env.includes(`DB_PASSWORD=${SECRET}`), 'the copy has it');
      assertNoSecret("a copy's labels", JSON.stringify(info.Config.Labels));
      const { Env: _env, ...rest } = info.Config;
      assertNoSecret(
        "a copy's configuration but its environment",
        JSON.stringify({ ...info, Config: rest }),
      );
    }
    const image = docker.getImage(`${name}:1.0.0`);
    assertNoSecret('the image', JSON.stringify(await image.inspect()));
    assertNoSecret('the image history', JSON.stringify(await image.history()));

    const plan = await planBuild(mc, folder, nodeBuildFileSystem);
    assertNoSecret('the generated Dockerfile', plan.dockerfileText ?? '');
    assertNoSecret('the build args and labels', JSON.stringify([plan.buildArgs, plan.labels]));
    for (const e of plan.context)
      assertNoSecret(
        `the build context's ${e.path}`,
        `${e.path}\n${e.content?.toString('utf8') ?? ''}`,
      );

    for (const args of [
      ['ps', name, '--json'],
      ['ps', name],
      ['preview', '--plan', file],
      ['preview', '--plan', '--json', file],
      ['drift', file, '--json'],
      ['logs', name],
    ]) {
      const run = await cli(args);
      assert.ok(
        run.code === 0 || (args[0] === 'drift' && run.code === 1),
        `${args.join(' ')}: ${run.stderr}`,
      );
      assertNoSecret(`mastercopy ${args.join(' ')}`, run.stdout + run.stderr);
    }
  });

  it('is in no error message: a print whose copies never become healthy', async () => {
    const name = uniqueName('secret-sick');
    names.push(name);
    const { file } = smallCopy(
      name,
      `${BODY}health:\n  command: ["sh", "-c", "echo $DB_PASSWORD >/dev/null; exit 1"]\n` +
        '  interval: 300ms\n  timeout: 1s\n  retries: 1\n',
      folders,
    );
    const run = await cli(['print', file, '--copies', '1']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /never became healthy/);
    assertNoSecret("the failed print's output", run.stdout + run.stderr);
    const json = await cli(['print', file, '--copies', '1', '--json']);
    assert.equal(json.code, 1);
    assertNoSecret("the failed print's JSON", json.stdout + json.stderr);
  });
});
