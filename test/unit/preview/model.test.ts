import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import {
  LABEL_COPY,
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
} from '../../../src/core/engine/labels';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import {
  appendRecord,
  lockVolumeName,
  LABEL_LOCK,
  ROLE_LOCK,
  type LedgerRecord,
} from '../../../src/core/deploy/ledger';
import { LABEL_ROLE } from '../../../src/core/engine/labels';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import {
  loadPreviewState,
  previewModel,
  promoteViewOf,
  tokenizeDockerfileLine,
  type PreviewModel,
} from '../../../src/core/preview/model';
import type { PreviewPlan } from '../../../src/core/preview/plan';
import { fixtureFolder, removeFixtures } from '../build/fixture';
import { FakeEngine } from '../copies/fakeEngine';

const VALID = `mastercopy: 1
name: demo
version: "1.0.0"
description: A demo
from: busybox:stable
files:
  - path: /etc/demo.conf
    content: "a: 1\\n"
  - path: /srv/www
    source: ./www
env: { LOG_LEVEL: info }
command: ["/bin/httpd", "-f", "-p", "8080"]
ports: [8080, { port: 5353, protocol: udp }]
health:
  http: { port: 8080, path: /health }
  interval: 2s
  retries: 3
copies: 2
runtime:
  memory: 64m
  capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] }
volumes:
  - { name: data, path: /data }
secrets:
  - { name: DB_PASSWORD, fromEnv: DB_PASSWORD }
  - { name: API_KEY, fromFile: ./api-key }
`;
const SECRET_VALUE = 'the-api-key-value-0123';

describe('preview model', () => {
  let folder: string;
  let path: string;
  before(() => {
    folder = fixtureFolder({
      'www/index.html': '<h1>hello</h1>\n',
      'www/health': 'ok\n',
      'api-key': SECRET_VALUE,
      'own/Dockerfile': '# mine\nFROM busybox:stable\nRUN echo "hi $HOME"\n',
    });
    path = join(folder, 'demo.mastercopy.yaml');
  });
  after(removeFixtures);

  async function model(
    text: string,
    previous?: PreviewModel,
    engine?: FakeEngine,
  ): Promise<PreviewModel> {
    const state = await loadPreviewState(text, path, {
      engine,
      fs: nodeBuildFileSystem,
      files: nodeFileAccess,
    });
    return previewModel(text, path, state, previous);
  }

  it('a valid master copy: summary card, generated Dockerfile with origins, context with sizes, plan, no problems', async () => {
    const m = await model(VALID);
    assert.equal(m.valid, true);
    assert.equal(m.stale, false);
    assert.deepEqual(m.file, { path, name: 'demo.mastercopy.yaml' });
    assert.deepEqual(m.summary, {
      name: 'demo',
      version: '1.0.0',
      description: 'A demo',
      owners: [],
      base: { kind: 'image', ref: 'busybox:stable' },
      ports: ['8080/tcp', '5353/udp'],
      health: { kind: 'http', text: 'GET :8080/health', timing: 'every 2s, 3 retries' },
      copies: 2,
      command: '/bin/httpd -f -p 8080',
      hardening: {
        readOnly: true,
        tmpfs: ['/tmp'],
        capDrop: ['ALL'],
        capAdd: ['NET_BIND_SERVICE'],
        noNewPrivileges: true,
        memory: '64m',
        restart: 'no',
      },
      volumes: [{ name: 'data', path: '/data', readOnly: false }],
      secrets: [
        { name: 'DB_PASSWORD', from: 'env' },
        { name: 'API_KEY', from: 'file' },
      ],
    });
    assert.equal(m.dockerfile?.source, 'generated');
    assert.match(m.dockerfile?.text ?? '', /^FROM busybox:stable\n/);
    const first = m.dockerfile!.lines[0];
    assert.deepEqual(first.tokens, [
      { kind: 'instruction', text: 'FROM' },
      { kind: 'text', text: ' busybox:stable' },
    ]);
    assert.equal(first.origin, 'from');
    assert.equal(VALID.slice(first.range!.start, first.range!.end), 'busybox:stable');
    const copyLine = m.dockerfile!.lines.find((l) => l.origin === 'files[1]');
    assert.ok(copyLine?.range, 'a COPY line points at its files entry');
    assert.deepEqual(
      m.context?.entries.map((e) => [e.path, e.type, e.size, e.mode, e.origin]),
      [
        ['Dockerfile', 'file', Buffer.byteLength(m.dockerfile!.text), '0644', 'generated'],
        ['files', 'directory', 0, '0755', 'files'],
        ['files/0', 'file', 5, '0644', 'files[0]'],
        ['files/1', 'directory', 0, m.context!.entries[3].mode, 'files[1]'],
        ['files/1/health', 'file', 3, m.context!.entries[4].mode, 'files[1]'],
        ['files/1/index.html', 'file', 15, m.context!.entries[5].mode, 'files[1]'],
      ],
    );
    assert.equal(m.context?.files, 4);
    assert.equal(m.plan?.build.state, 'engine-down', 'no engine given');
    assert.equal(m.engine.reachable, false);
    assert.deepEqual(m.problems, []);
    assert.equal(m.actions.build.enabled, false);
    assert.equal(
      m.actions.promote,
      undefined,
      'no engine: nothing known of what serves, no promote to offer',
    );
    assert.equal(m.promote, undefined);
    assert.equal(m.history, undefined);
  });

  it('never carries a secret value (the secret file stays out of the context)', async () => {
    const m = await model(VALID);
    assert.ok(!JSON.stringify(m).includes(SECRET_VALUE));
    assert.ok(!m.context?.entries.some((e) => e.path.includes('api-key')));
  });

  it('is JSON as it is', async () => {
    const m = await model(VALID);
    assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  });

  it('with an engine: plan, copies (of this master copy only) and enabled actions', async () => {
    const engine = new FakeEngine();
    const labels = (name: string, version: string, index: number) => ({
      [LABEL_MANAGED]: 'true',
      [LABEL_NAME]: name,
      [LABEL_VERSION]: version,
      [LABEL_COPY]: String(index),
      [LABEL_DIGEST]: 'sha256:x',
    });
    for (const [name, version, index] of [
      ['demo', '0.9.0', 0],
      ['demo', '0.9.0', 1],
      ['other', '1.0.0', 0],
    ] as const) {
      const id = `${name}${version}${index}`.padEnd(64, '0');
      engine.containers.set(id, {
        id,
        spec: { image: `${name}:${version}`, labels: labels(name, version, index) },
        labels: labels(name, version, index),
        running: true,
        health: 'healthy',
        hostPorts: [],
      });
    }
    const m = await model(VALID, undefined, engine);
    assert.equal(m.engine.reachable, true);
    assert.equal(m.plan?.build.state, 'would-build');
    assert.deepEqual(
      m.copies?.map((c) => [c.version, c.index, c.state, c.health, c.current]),
      [
        ['0.9.0', 0, 'running', 'healthy', false],
        ['0.9.0', 1, 'running', 'healthy', false],
      ],
    );
    assert.equal(m.plan?.promote.state, 'would-promote');
    assert.deepEqual(m.plan?.promote.wouldDispose, [{ version: '0.9.0', count: 2 }]);
    assert.equal(m.actions.build.enabled, true);
    assert.equal(m.actions.print.enabled, true);
    assert.equal(m.actions.tailLogs.enabled, true);
  });

  it(
    'with a ledger: what a promote would do now (from the active version, ' +
      'as many copies as it has) and the history, newest first',
    async () => {
      const engine = new FakeEngine();
      const labels = (version: string, index: number) => ({
        [LABEL_MANAGED]: 'true',
        [LABEL_NAME]: 'demo',
        [LABEL_VERSION]: version,
        [LABEL_COPY]: String(index),
        [LABEL_DIGEST]: 'sha256:x',
      });
      for (const index of [0, 1, 2]) {
        const id = `demo090${index}`.padEnd(64, '0');
        engine.containers.set(id, {
          id,
          spec: { image: 'demo:0.9.0', labels: labels('0.9.0', index) },
          labels: labels('0.9.0', index),
          running: true,
          health: 'healthy',
          hostPorts: [],
        });
      }
      const rec = (
        version: string,
        outcome: LedgerRecord['outcome'],
        replaced: string | null = null,
      ): Omit<LedgerRecord, 'seq'> => ({
        action: 'promote',
        version,
        imageId: `sha256:${'9'.repeat(64)}`,
        digest: 'sha256:d',
        outcome,
        at: '2026-12-01T10:00:00.000Z',
        by: { user: 'ann', host: 'box' },
        git: { commit: 'f'.repeat(40), dirty: false },
        replaced,
        copies: 3,
        folder: null,
        gateway: null,
      });
      await appendRecord(engine, 'demo', rec('0.8.0', 'promoted'));
      await appendRecord(engine, 'demo', rec('0.9.0', 'promoted', '0.8.0'));
      await appendRecord(engine, 'demo', rec('1.0.0', 'failed'));
      const m = await model(VALID, undefined, engine);
      assert.deepEqual(m.promote, {
        state: 'would-promote',
        from: '0.9.0',
        to: '1.0.0',
        copies: 3,
        wouldDispose: [{ version: '0.9.0', count: 3 }],
        // Its image is not on this (fake) engine: only what the ledger knows is compared.
        changes: {
          active: `promoted by ann@box at 2026-12-01 10:00:00Z, from commit ${'f'.repeat(12)}`,
          items: [{ field: 'version', kind: 'changed', before: '0.9.0', after: '1.0.0' }],
          notes: [
            `the image of 0.9.0 (${'9'.repeat(12)}) is no longer on the engine: ` +
              'only the version, copies, gateway and autoscale can be compared',
          ],
        },
      });
      assert.equal(m.actions.promote?.enabled, true);
      assert.match(m.actions.promote!.title, /print 3 copies of 1\.0\.0 beside 0\.9\.0/);
      assert.deepEqual(
        m.history?.map((e) => [e.seq, e.version, e.outcome, e.active, e.canRollBack]),
        [
          [3, '1.0.0', 'failed', false, false],
          [2, '0.9.0', 'promoted', true, false],
          [1, '0.8.0', 'promoted', false, true],
        ],
      );
      assert.deepEqual(JSON.parse(JSON.stringify(m)), m, 'still JSON as it is');

      // Somebody deploys now: no Promote, and it says who.
      engine.volumes.push({
        name: lockVolumeName('demo'),
        driver: 'local',
        labels: {
          [LABEL_MANAGED]: 'true',
          [LABEL_NAME]: 'demo',
          [LABEL_ROLE]: ROLE_LOCK,
          [LABEL_LOCK]: JSON.stringify({
            user: 'bob',
            host: 'laptop',
            pid: 9,
            since: '2026-12-01T10:05:00.000Z',
            action: 'promote',
            version: '0.9.1',
          }),
        },
      });
      const locked = await model(VALID, undefined, engine);
      assert.equal(locked.promote?.state, 'locked');
      assert.deepEqual(locked.promote?.lock, {
        by: 'bob@laptop',
        action: 'promote',
        version: '0.9.1',
        since: '2026-12-01T10:05:00.000Z',
      });
      assert.equal(locked.actions.promote?.enabled, false);
      assert.match(locked.actions.promote!.title, /by bob@laptop runs now/);

      // A broken edit keeps the history it showed, and offers no promote.
      const stale = await model(VALID.replace('copies: 2', 'copies: 0'), m);
      assert.deepEqual(stale.history, m.history);
      assert.equal(stale.actions.promote?.enabled, false);
    },
  );

  it("lists what a promote would change against the active version as its image carries it, reading no image's files", async () => {
    const engine = new FakeEngine();
    const oldText = VALID.replace('LOG_LEVEL: info', 'LOG_LEVEL: debug').replace(
      '"1.0.0"',
      '"0.9.0"',
    );
    const oldState = await loadPreviewState(oldText, path, { fs: nodeBuildFileSystem });
    const oldPlan = oldState.buildPlan!;
    const imageId = `sha256:${'7'.repeat(64)}`;
    engine.images.set(imageId, {
      id: imageId,
      tags: [oldPlan.tag],
      labels: oldPlan.labels,
      config: { env: [], user: '', workdir: '', cmd: [], entrypoint: [], volumes: [] },
      created: '2026-11-30T09:00:00.000Z',
      size: 0,
    });
    await appendRecord(engine, 'demo', {
      action: 'promote',
      version: '0.9.0',
      imageId,
      digest: oldPlan.digest,
      outcome: 'promoted',
      at: '2026-12-01T10:00:00.000Z',
      by: { user: 'ann', host: 'box' },
      git: null,
      replaced: null,
      copies: 2,
      folder: null,
      gateway: null,
    });
    const m = await model(VALID, undefined, engine);
    assert.deepEqual(
      m.promote?.changes?.items.map((c) => [c.kind, c.field, c.before, c.after]),
      [
        ['changed', 'version', '0.9.0', '1.0.0'],
        ['changed', 'env LOG_LEVEL', 'debug', 'info'],
        ['changed', 'copies', '0', '2'],
      ],
    );
    assert.equal(
      m.promote?.changes?.active,
      'promoted by ann@box at 2026-12-01 10:00:00Z, not from a git repository',
    );
    assert.equal(engine.imageFileReads, 0);
    assert.ok(!JSON.stringify(m).includes(SECRET_VALUE));
  });

  // A preview plan with these versions running, and a ledger record that served `version`.
  const plan = (running: [string, number][], build: PreviewPlan['build']['state'] = 'up-to-date') =>
    ({
      build: { state: build },
      print: {
        running: running.map(([version, count]) => ({
          version,
          count,
          running: count,
          healthy: count,
        })),
      },
    }) as unknown as PreviewPlan;
  const served = (version: string): LedgerRecord => ({
    seq: 1,
    action: 'promote',
    version,
    imageId: 'sha256:i',
    digest: 'sha256:d',
    outcome: 'promoted',
    at: '',
    by: { user: 'a', host: 'b' },
    git: null,
    replaced: null,
    copies: 1,
    folder: null,
    gateway: null,
  });

  it('promoteViewOf: first, already active (leftovers or not), refused, the endpoint that moves', () => {
    const mc = {
      mastercopy: 1,
      name: 'demo',
      version: '2.0.0',
      copies: 2,
      gateway: { port: 18080, target: 8080 },
    } as unknown as MasterCopy;
    assert.deepEqual(promoteViewOf(mc, plan([]), { ledger: [] }), {
      state: 'first',
      to: '2.0.0',
      copies: 2,
      wouldDispose: [],
      endpoint: { url: 'http://127.0.0.1:18080/', running: false },
    });
    const active = promoteViewOf(mc, plan([['2.0.0', 2]]), {
      ledger: [served('2.0.0')],
      keeper: { running: true, address: '127.0.0.1', port: 18080 },
    });
    assert.equal(active.state, 'already-active');
    assert.deepEqual(active.endpoint, { url: 'http://127.0.0.1:18080/', running: true });
    const leftovers = promoteViewOf(
      mc,
      plan([
        ['1.0.0', 1],
        ['2.0.0', 2],
      ]),
      { ledger: [served('2.0.0')] },
    );
    assert.equal(leftovers.state, 'already-active');
    assert.deepEqual(leftovers.wouldDispose, [{ version: '1.0.0', count: 1 }]);
    // Active, but its copies are gone: promoting prints them again.
    assert.equal(promoteViewOf(mc, plan([]), { ledger: [served('2.0.0')] }).state, 'would-promote');
    assert.equal(
      promoteViewOf(mc, plan([['1.0.0', 4]], 'refused'), { ledger: [served('1.0.0')] }).state,
      'refused',
    );
    // As many green copies as blue has.
    assert.equal(promoteViewOf(mc, plan([['1.0.0', 4]]), { ledger: [served('1.0.0')] }).copies, 4);
    assert.equal(
      promoteViewOf({ ...mc, gateway: undefined } as MasterCopy, plan([]), { ledger: [] }).endpoint,
      undefined,
      'no gateway: no endpoint to move',
    );
  });

  it('promoteViewOf with autoscale: green within min and max, and the count the keeper keeps with its last decision', () => {
    const mc = {
      mastercopy: 1,
      name: 'demo',
      version: '2.0.0',
      copies: 2,
      gateway: { port: 18080, target: 8080 },
      autoscale: { min: 2, max: 3, inflight: 10 },
    } as unknown as MasterCopy;
    const desired = new Map([
      [
        '1.0.0',
        {
          seq: 3,
          version: '1.0.0',
          count: 5,
          at: '2026-12-01T14:03:00.000Z',
          by: 'autoscale',
          reason: '4 → 5: 48 open connections over 4 copies, target 10',
        },
      ],
    ]);
    const v = promoteViewOf(mc, plan([['1.0.0', 5]]), {
      ledger: [served('1.0.0')],
      keeper: { running: true },
      desired,
    });
    assert.equal(v.copies, 3, 'blue has 5: green starts at max');
    assert.deepEqual(v.kept, {
      version: '1.0.0',
      count: 5,
      by: 'autoscale',
      at: '2026-12-01T14:03:00.000Z',
      reason: '4 → 5: 48 open connections over 4 copies, target 10',
    });
    assert.equal(
      promoteViewOf(mc, plan([['1.0.0', 1]]), {
        ledger: [served('1.0.0')],
        keeper: { running: false },
        desired,
      }).kept,
      undefined,
      'no keeper running: nobody keeps it',
    );
    assert.equal(promoteViewOf(mc, plan([]), { ledger: [] }).copies, 2);
  });

  it('an invalid text keeps the last valid state, stale, with the current problems (positions of the new text)', async () => {
    const good = await model(VALID);
    const broken = VALID.replace('copies: 2', 'copies: 0');
    const m = await model(broken, good);
    assert.equal(m.valid, false);
    assert.equal(m.stale, true);
    assert.deepEqual(m.summary, good.summary);
    assert.equal(m.dockerfile?.text, good.dockerfile?.text);
    assert.deepEqual(m.context, good.context);
    assert.deepEqual(m.plan, good.plan);
    assert.ok(
      m.dockerfile?.lines.every((l) => l.range === undefined),
      'old ranges would point into the wrong text',
    );
    assert.equal(m.problems.length, 1);
    const p = m.problems[0];
    assert.equal(p.severity, 'error');
    assert.equal(broken.slice(p.start, p.end), '0');
    const lineNo = broken.split('\n').indexOf('copies: 0');
    assert.deepEqual(
      [p.line, p.character, p.endLine, p.endCharacter],
      [lineNo, 'copies: '.length, lineNo, 'copies: '.length + 1],
    );
    assert.equal(m.actions.build.enabled, false);
    assert.equal(m.actions.print.enabled, false);

    // And once more broken: still the same last valid state (the stale model is a fine `previous`).
    const again = await model(broken.replace('name: demo', 'name: Demo'), m);
    assert.equal(again.stale, true);
    assert.deepEqual(again.summary, good.summary);
    assert.equal(again.problems.length, 2);

    // Fixed: fresh again.
    const fixed = await model(VALID.replace('1.0.0', '1.0.1'), again);
    assert.equal(fixed.stale, false);
    assert.equal(fixed.summary?.version, '1.0.1');
  });

  it('an invalid text without a previous model: only the problems', async () => {
    const m = await model('mastercopy: 1\nname: [\n');
    assert.equal(m.valid, false);
    assert.equal(m.stale, false);
    assert.equal(m.summary, undefined);
    assert.equal(m.dockerfile, undefined);
    assert.ok(m.problems.length >= 1);
  });

  it('warnings do not make it invalid', async () => {
    const m = await model(
      VALID.replace('env: { LOG_LEVEL: info }', 'env: { LOG_LEVEL: info, GITHUB_TOKEN: x }'),
    );
    assert.equal(m.valid, true);
    assert.ok(m.problems.some((p) => p.severity === 'warning' && /TOKEN/.test(p.message)));
  });

  it('a master copy that validates but cannot be planned: a problem at the part, the last Dockerfile kept', async () => {
    const good = await model(VALID);
    // Without file access validation skips the path checks; the plan finds the missing source.
    const text = VALID.replace('./www', './gone');
    const state = await loadPreviewState(text, path, { fs: nodeBuildFileSystem });
    assert.ok(state.buildError);
    const m = previewModel(text, path, state, good);
    assert.equal(m.valid, false);
    assert.equal(m.stale, true);
    assert.equal(m.summary?.name, 'demo', 'the summary is the current one');
    assert.equal(m.dockerfile?.text, good.dockerfile?.text);
    const p = m.problems.find((x) => x.code === 'build-plan');
    assert.ok(p);
    assert.equal(text.slice(p.start, p.end), './gone');
  });

  it('with `dockerfile:` the user Dockerfile is shown, tokenized, without origins', async () => {
    const m = await model(
      'mastercopy: 1\nname: demo\nversion: "1"\ndockerfile: ./own/Dockerfile\n',
    );
    assert.equal(m.valid, true);
    assert.equal(m.dockerfile?.source, 'user');
    assert.equal(m.dockerfile?.path, 'own/Dockerfile');
    assert.equal(m.dockerfile?.text, '# mine\nFROM busybox:stable\nRUN echo "hi $HOME"\n');
    assert.deepEqual(m.dockerfile?.lines[0].tokens, [{ kind: 'comment', text: '# mine' }]);
    assert.ok(m.dockerfile?.lines.every((l) => l.range === undefined && l.origin === undefined));
    assert.deepEqual(m.summary?.base, { kind: 'dockerfile', path: './own/Dockerfile' });
  });
});

describe('Dockerfile tokens', () => {
  const kinds = (line: string) => tokenizeDockerfileLine(line).map((t) => [t.kind, t.text]);

  it('keyword, strings, flags, variables, comments; the texts add up to the line', () => {
    assert.deepEqual(kinds('COPY --chown=1000:1000 ["files/0", "/srv/a b"]'), [
      ['instruction', 'COPY'],
      ['text', ' '],
      ['flag', '--chown=1000:1000'],
      ['text', ' ['],
      ['string', '"files/0"'],
      ['text', ', '],
      ['string', '"/srv/a b"'],
      ['text', ']'],
    ]);
    assert.deepEqual(kinds('ENV A="x \\" $B" C=$HOME ${D}'), [
      ['instruction', 'ENV'],
      ['text', ' A='],
      ['string', '"x \\" $B"'],
      ['text', ' C='],
      ['variable', '$HOME'],
      ['text', ' '],
      ['variable', '${D}'],
    ]);
    assert.deepEqual(kinds('  # a comment "with" --flags'), [
      ['comment', '  # a comment "with" --flags'],
    ]);
    assert.deepEqual(kinds('HEALTHCHECK --interval=2s CMD ["x"]').slice(0, 3), [
      ['instruction', 'HEALTHCHECK'],
      ['text', ' '],
      ['flag', '--interval=2s'],
    ]);
    for (const line of [
      'RUN ["/bin/sh", "-c", "echo \\"unterminated',
      'FROM a\\',
      '',
      '   ',
      'x--y',
      '"',
      '$',
    ]) {
      assert.equal(
        tokenizeDockerfileLine(line)
          .map((t) => t.text)
          .join(''),
        line,
      );
    }
  });
});
