// What a promote would change, against a real engine: a version is promoted, then its file
// is edited (env, a file's content, a port) under a new version; `promoteDiff` and
// `mastercopy diff` say exactly those three, with the file's unified diff read from the
// active image (through a container that is never started and never left behind), and
// `promote --dry-run` says the same and changes nothing.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLedger } from '../../src/core/deploy/ledger';
import { promote } from '../../src/core/deploy/promote';
import { promoteDiff } from '../../src/core/deploy/promoteDiff';
import { LABEL_MANAGED, LABEL_ROLE } from '../../src/core/engine/labels';
import { validateText } from '../../src/core/mastercopy/validator';
import { runCli } from '../support/cli';
import { TEST_ENGINE_HOST, rawDocker, testRunId, testRunLabels } from '../support/engine';
import { herdVariant, useHerdEngine } from '../support/herd';

const NAME = `mc-diff-${testRunId}`;
const folders: string[] = [];

describe('diff against a real engine', function () {
  this.timeout(180_000);
  const env = useHerdEngine(folders);
  const cli = (args: string[]) =>
    runCli(args, { env: { ...process.env, DOCKER_HOST: TEST_ENGINE_HOST } });

  it('after editing env, a file and a port, says those three (and the version), with the exit code', async () => {
    // No gateway: the copies are replaced without a keeper, which this test does not need.
    const v1 = herdVariant(NAME, 0, folders, (t) => t.replace(/^gateway: .*\n/m, ''));
    env.names.push(NAME);
    await promote(env.engine, { kind: 'file', mc: v1.mc, folder: v1.folder }, env.deploy, {
      drainMs: 0,
    });
    const file = join(v1.folder, 'transaction-service.mastercopy.yaml');
    const same = await cli(['diff', file]);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /^No change from the active version\.$/m);

    // The next version, beside the first: env, the page's content and a second port.
    const next = join(v1.folder, 'next.mastercopy.yaml');
    writeFileSync(
      next,
      readFileSync(file, 'utf8')
        .replace('version: "1.0.0"', 'version: "1.1.0"')
        .replace('LOG_LEVEL: info', 'LOG_LEVEL: debug')
        .replace('ports: [8080]', 'ports: [8080, 9090]'),
    );
    const page = join(v1.folder, 'www', 'index.html');
    const oldPage = readFileSync(page, 'utf8');
    writeFileSync(page, oldPage.replace('</h1>', '</h1>\n<p>Now with a second port.</p>'));

    const mc = validateText(readFileSync(next, 'utf8'), { path: next }).masterCopy;
    assert.ok(mc);
    const d = await promoteDiff(env.engine, mc, v1.folder, { extraLabels: testRunLabels });
    assert.equal(d.active?.version, '1.0.0');
    assert.equal(d.active?.by, `${env.deploy.who.user}@${env.deploy.who.host}`);
    assert.deepEqual(
      d.changes.map((c) => [c.kind, c.field]),
      [
        ['changed', 'version'],
        ['changed', 'file /srv/www/index.html'],
        ['changed', 'env LOG_LEVEL'],
        ['changed', 'ports'],
      ],
    );
    const [, pageChange, envChange, portChange] = d.changes;
    assert.deepEqual([envChange.before, envChange.after], ['info', 'debug']);
    assert.deepEqual([portChange.before, portChange.after], ['8080/tcp', '8080/tcp, 9090/tcp']);
    assert.ok(pageChange.diff, pageChange.note);
    assert.deepEqual(pageChange.diff.slice(0, 2), [
      '--- a/srv/www/index.html',
      '+++ b/srv/www/index.html',
    ]);
    assert.ok(
      pageChange.diff.includes('+<p>Now with a second port.</p>'),
      pageChange.diff.join('\n'),
    );
    assert.deepEqual(d.notes, []);
    // The container the old page was read through is gone.
    const readers = await rawDocker().listContainers({
      all: true,
      filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_ROLE}=file-reader`] },
    });
    assert.deepEqual(readers, []);

    const r = await cli(['diff', next]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^${NAME}: 1\\.0\\.0 \\(active\\) → 1\\.1\\.0 \\(this file\\)$`, 'm'),
    );
    assert.match(r.stdout, /^~ env LOG_LEVEL: info → debug$/m);
    assert.match(r.stdout, /^~ ports: 8080\/tcp → 8080\/tcp, 9090\/tcp$/m);
    assert.match(
      r.stdout,
      /^~ file \/srv\/www\/index\.html: 0[0-7]{3}, [0-9]+ B, sha256:[0-9a-f]{12} → /m,
    );
    assert.match(r.stdout, /^ {4}\+<p>Now with a second port\.<\/p>$/m);
    assert.match(r.stdout, /^4 changes: 0 added, 0 removed, 4 changed\.$/m);
    const json = JSON.parse((await cli(['diff', '--json', next])).stdout) as {
      changes: { field: string }[];
    };
    assert.deepEqual(
      json.changes.map((c) => c.field),
      ['version', 'file /srv/www/index.html', 'env LOG_LEVEL', 'ports'],
    );

    // promote --dry-run prints the same and builds, prints and records nothing.
    const ledgerBefore = await readLedger(env.engine, NAME);
    const dry = await cli(['promote', '--dry-run', next]);
    assert.equal(dry.code, 1, dry.stderr);
    assert.equal(dry.stdout, r.stdout);
    assert.equal((await readLedger(env.engine, NAME)).length, ledgerBefore.length);
    assert.equal(await env.engine.inspectImage(`${NAME}:1.1.0`), undefined, 'nothing was built');
  });

  it('says so when nothing is active, and exits 2 when the engine cannot be reached', async () => {
    const fresh = herdVariant(`${NAME}-new`, 0, folders, (t) => t.replace(/^gateway: .*\n/m, ''));
    const file = join(fresh.folder, 'transaction-service.mastercopy.yaml');
    const r = await cli(['diff', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /nothing is active on this engine .*everything in 1\.0\.0 is new\.$/m);
    assert.match(r.stdout, /^\+ env LOG_LEVEL: info$/m);
    const down = await runCli(['diff', '--host', 'unix:///nonexistent.sock', file]);
    assert.equal(down.code, 2);
  });
});
