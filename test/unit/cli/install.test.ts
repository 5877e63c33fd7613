// The CLI as people install it: `npm pack` of this repository, `npm install -g` of that
// package into an empty prefix — offline and with an empty npm cache, so it installs only
// if it needs nothing from a registry — then the installed `mastercopy` run from a folder
// outside the repository, with a bare environment. About 3 s.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../support/repoRoot';

const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

/** Runs `file`; npm's own settings from an enclosing `npm test` are left out. */
function run(file: string, args: string[], options: { cwd: string; home: string }) {
  const env: NodeJS.ProcessEnv = { PATH, HOME: options.home };
  const r = spawnSync(file, args, { cwd: options.cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mastercopy installed from its npm package', function () {
  this.timeout(60_000);
  const root = repoRoot();
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  let tmp: string;
  let home: string;
  let prefix: string;
  let packed: string[];

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'mc-install-'));
    home = join(tmp, 'home');
    prefix = join(tmp, 'prefix');
    mkdirSync(home);
    // --ignore-scripts: pack dist/ as this test run built it (prepack would rebuild it for production under the other tests).
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: root,
      home,
    });
    assert.equal(pack.code, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    packed = info.files.map((f) => f.path);
    const install = run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        join(tmp, info.filename),
        '--offline',
        '--cache',
        join(tmp, 'npm-cache'),
        '--no-audit',
        '--no-fund',
      ],
      { cwd: tmp, home },
    );
    assert.equal(install.code, 0, `npm install -g failed:\n${install.stderr}`);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('packs the bundles (CLI, keeper and its control client, extension, dockerode) and nothing of the sources', () => {
    for (const f of [
      'dist/cli.js',
      'dist/cli-main.js',
      'dist/dockerode.js',
      'dist/keeper.js',
      'dist/keeper-control.js',
      'dist/extension.js',
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
    ])
      assert.ok(packed.includes(f), `${f} is packed`);
    const stray = packed.filter(
      (f) =>
        /^(src|test|node_modules|scripts|bench|out)\//.test(f) ||
        f.endsWith('.map') ||
        f.endsWith('.ts'),
    );
    assert.deepEqual(stray, []);
  });

  it('installs with no dependencies to fetch: everything it runs is in its dist/', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'mastercopy');
    assert.equal(
      existsSync(join(installed, 'node_modules')),
      false,
      'nothing was installed beside it',
    );
    // The deploy commands build the keeper's image from these two files beside the CLI bundle;
    // dockerode.js is the engine client's stack, read on the first engine request.
    for (const f of ['cli-main.js', 'dockerode.js', 'keeper.js', 'keeper-control.js'])
      assert.ok(existsSync(join(installed, 'dist', f)), `dist/${f} is installed`);
  });

  it('`mastercopy --version` and `validate` work from a folder outside the repository', () => {
    const bin = join(prefix, 'bin', 'mastercopy');
    const ws = join(tmp, 'ws');
    cpSync(join(root, 'examples', 'transaction-service'), ws, { recursive: true });
    const v = run(bin, ['--version'], { cwd: ws, home });
    assert.deepEqual([v.code, v.stdout, v.stderr], [0, `${version}\n`, '']);

    const valid = run(bin, ['validate', 'transaction-service.mastercopy.yaml'], { cwd: ws, home });
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stderr, /^1 master copy checked: 0 errors, 0 warnings/m);

    const text = readFileSync(join(ws, 'transaction-service.mastercopy.yaml'), 'utf8');
    writeFileSync(join(ws, 'broken.mastercopy.yaml'), text.replace(/^copies: .*$/m, 'copies: 0'));
    const broken = run(bin, ['validate', 'broken.mastercopy.yaml'], { cwd: ws, home });
    assert.equal(broken.code, 1);
    assert.match(
      broken.stdout,
      /^broken\.mastercopy\.yaml:\d+:9: error: `copies` must be at least 1/,
    );
  });

  it('the engine client is in the bundle: an engine command says the engine is not there', () => {
    const r = run(
      join(prefix, 'bin', 'mastercopy'),
      ['ps', '--host', 'unix:///nonexistent/mastercopy-test.sock'],
      { cwd: tmp, home },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /Docker engine not reachable at unix:\/\/\/nonexistent\/mastercopy-test\.sock \(connect ENOENT\)/,
    );
  });
});
