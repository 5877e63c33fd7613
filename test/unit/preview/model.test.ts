import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { nodeBuildFileSystem } from '../../../src/core/build/buildFileSystem';
import { LABEL_COPY, LABEL_DIGEST, LABEL_MANAGED, LABEL_NAME, LABEL_VERSION } from '../../../src/core/engine/labels';
import { nodeFileAccess } from '../../../src/core/mastercopy/fileAccess';
import { loadPreviewState, previewModel, tokenizeDockerfileLine, type PreviewModel } from '../../../src/core/preview/model';
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
    folder = fixtureFolder({ 'www/index.html': '<h1>hello</h1>\n', 'www/health': 'ok\n', 'api-key': SECRET_VALUE, 'own/Dockerfile': '# mine\nFROM busybox:stable\nRUN echo "hi $HOME"\n' });
    path = join(folder, 'demo.mastercopy.yaml');
  });
  after(removeFixtures);

  async function model(text: string, previous?: PreviewModel, engine?: FakeEngine): Promise<PreviewModel> {
    const state = await loadPreviewState(text, path, { engine, fs: nodeBuildFileSystem, files: nodeFileAccess });
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
      hardening: { readOnly: true, tmpfs: ['/tmp'], capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'], noNewPrivileges: true, memory: '64m', restart: 'no' },
      volumes: [{ name: 'data', path: '/data', readOnly: false }],
      secrets: [
        { name: 'DB_PASSWORD', from: 'env' },
        { name: 'API_KEY', from: 'file' },
      ],
    });
    assert.equal(m.dockerfile?.source, 'generated');
    assert.match(m.dockerfile?.text ?? '', /^FROM busybox:stable\n/);
    const first = m.dockerfile!.lines[0];
    assert.deepEqual(first.tokens, [{ kind: 'instruction', text: 'FROM' }, { kind: 'text', text: ' busybox:stable' }]);
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
    assert.equal(m.actions.promote, undefined, 'promote comes in a later issue');
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
    const labels = (name: string, version: string, index: number) => ({ [LABEL_MANAGED]: 'true', [LABEL_NAME]: name, [LABEL_VERSION]: version, [LABEL_COPY]: String(index), [LABEL_DIGEST]: 'sha256:x' });
    for (const [name, version, index] of [['demo', '0.9.0', 0], ['demo', '0.9.0', 1], ['other', '1.0.0', 0]] as const) {
      const id = `${name}${version}${index}`.padEnd(64, '0');
      engine.containers.set(id, { id, spec: { image: `${name}:${version}`, labels: labels(name, version, index) }, labels: labels(name, version, index), running: true, health: 'healthy', hostPorts: [] });
    }
    const m = await model(VALID, undefined, engine);
    assert.equal(m.engine.reachable, true);
    assert.equal(m.plan?.build.state, 'would-build');
    assert.deepEqual(m.copies?.map((c) => [c.version, c.index, c.state, c.health, c.current]), [
      ['0.9.0', 0, 'running', 'healthy', false],
      ['0.9.0', 1, 'running', 'healthy', false],
    ]);
    assert.equal(m.plan?.promote.state, 'would-promote');
    assert.deepEqual(m.plan?.promote.wouldDispose, [{ version: '0.9.0', count: 2 }]);
    assert.equal(m.actions.build.enabled, true);
    assert.equal(m.actions.print.enabled, true);
    assert.equal(m.actions.tailLogs.enabled, true);
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
    assert.ok(m.dockerfile?.lines.every((l) => l.range === undefined), 'old ranges would point into the wrong text');
    assert.equal(m.problems.length, 1);
    const p = m.problems[0];
    assert.equal(p.severity, 'error');
    assert.equal(broken.slice(p.start, p.end), '0');
    const lineNo = broken.split('\n').indexOf('copies: 0');
    assert.deepEqual([p.line, p.character, p.endLine, p.endCharacter], [lineNo, 'copies: '.length, lineNo, 'copies: '.length + 1]);
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
    const m = await model(VALID.replace('env: { LOG_LEVEL: info }', 'env: { LOG_LEVEL: info, GITHUB_TOKEN: x }'));
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
    const m = await model('mastercopy: 1\nname: demo\nversion: "1"\ndockerfile: ./own/Dockerfile\n');
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
    assert.deepEqual(kinds('  # a comment "with" --flags'), [['comment', '  # a comment "with" --flags']]);
    assert.deepEqual(kinds('HEALTHCHECK --interval=2s CMD ["x"]').slice(0, 3), [
      ['instruction', 'HEALTHCHECK'],
      ['text', ' '],
      ['flag', '--interval=2s'],
    ]);
    for (const line of ['RUN ["/bin/sh", "-c", "echo \\"unterminated', 'FROM a\\', '', '   ', 'x--y', '"', '$']) {
      assert.equal(tokenizeDockerfileLine(line).map((t) => t.text).join(''), line);
    }
  });
});
