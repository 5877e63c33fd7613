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
  escapeHtml,
  formatSize,
  html,
  renderPreviewBody,
  renderPreviewHtml,
  type RenderOptions,
} from '../../../src/core/preview/html';
import { loadPreviewState, previewModel, type PreviewModel } from '../../../src/core/preview/model';
import { appendRecord, type LedgerRecord } from '../../../src/core/deploy/ledger';
import { fixtureFolder, removeFixtures } from '../build/fixture';
import { FakeEngine } from '../copies/fakeEngine';

const NONCE = 'AbCdEfGhIjKlMnOpQrStUv0123456789';
const OPTIONS: RenderOptions = {
  nonce: NONCE,
  cspSource: 'vscode-webview://stub-csp-source',
  trusted: true,
  scriptUri: 'vscode-webview://stub/media/preview/preview.js',
  styleUri: 'vscode-webview://stub/media/preview/preview.css',
  codiconsUri: 'vscode-webview://stub/codicon.css',
};
const CSP =
  `default-src 'none'; style-src vscode-webview://stub-csp-source 'nonce-${NONCE}'; ` +
  `script-src 'nonce-${NONCE}'; img-src vscode-webview://stub-csp-source data:; font-src vscode-webview://stub-csp-source;`;
const SECTIONS = [
  'summary',
  'plan',
  'promote',
  'copies',
  'history',
  'problems',
  'dockerfile',
  'context',
];

/** What an attacker would put into a master copy value. */
const EVIL = `<script>alert(1)</script>"onerror=alert(2) x='y' &amp; <img src=x onerror=alert(3)>`;
const EVIL_ESCAPED = escapeHtml(EVIL);

const TEXT = `mastercopy: 1
name: demo
version: "1.0.0"
from: busybox:stable
files:
  - path: /srv/www
    source: ./www
command: ["/bin/httpd", "-f", "-p", "8080"]
ports: [8080]
health: { http: { port: 8080, path: /health }, interval: 2s }
copies: 2
volumes: [{ name: data, path: /data }]
secrets: [{ name: DB_PASSWORD, fromEnv: DB_PASSWORD }]
gateway: { port: 18080, target: 8080 }
`;

interface Tag {
  name: string;
  attributes: Map<string, string>;
}

/**
 * Every tag of a document, checked to be well-formed: once the tags are taken out, no `<`
 * or `>` is left, so no text can have become markup.
 */
function tags(doc: string): Tag[] {
  const out: Tag[] = [];
  const rest = doc
    .replace(/^<!DOCTYPE html>/, '')
    .replace(/<\/[a-z][a-z0-9]*>/g, '')
    .replace(
      /<([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9:-]*(?:="[^"<>]*")?)*)\s*>/g,
      (_, name: string, attrs: string) => {
        const attributes = new Map<string, string>();
        for (const m of attrs.matchAll(/([a-z][a-z0-9:-]*)(?:="([^"]*)")?/g)) {
          assert.ok(!attributes.has(m[1]), `duplicate attribute ${m[1]} in <${name}${attrs}>`);
          attributes.set(m[1], m[2] ?? '');
        }
        out.push({ name, attributes });
        return '';
      },
    );
  assert.ok(
    !/[<>]/.test(rest),
    `markup left outside tags: ${rest.slice(Math.max(0, rest.search(/[<>]/) - 80), rest.search(/[<>]/) + 80)}`,
  );
  return out;
}

/** The rules every rendered page keeps, whatever the model holds. */
function assertSafe(doc: string, full: boolean): Tag[] {
  const all = tags(doc);
  for (const t of all) {
    for (const [name, value] of t.attributes) {
      assert.ok(!name.startsWith('on'), `event handler attribute ${name} on <${t.name}>`);
      assert.notEqual(name, 'style', `a style attribute on <${t.name}> (the CSP forbids them)`);
      assert.notEqual(name, 'srcdoc');
      assert.ok(!/^\s*(javascript|data|https?):/i.test(value), `${name}="${value}" on <${t.name}>`);
      if (name === 'href' || name === 'src')
        assert.ok(
          value === '#' || value.startsWith('vscode-webview://stub/'),
          `${name}="${value}"`,
        );
    }
  }
  assert.ok(!/https?:\/\//i.test(doc), 'no http(s) URL anywhere');
  const scripts = all.filter((t) => t.name === 'script');
  if (full) {
    assert.equal(scripts.length, 1, 'only our script');
    assert.equal(scripts[0].attributes.get('nonce'), NONCE);
    assert.equal(scripts[0].attributes.get('src'), OPTIONS.scriptUri);
  } else assert.equal(scripts.length, 0);
  assert.ok(
    !all.some((t) =>
      ['iframe', 'object', 'embed', 'img', 'base', 'form', 'input'].includes(t.name),
    ),
    'no element that loads or submits anything',
  );
  return all;
}

/** Every string in the model (but the enumerations the renderer branches on) with EVIL appended. */
function taint<T>(value: T, key = ''): T {
  const ENUMS = new Set([
    'kind',
    'state',
    'type',
    'severity',
    'source',
    'health',
    'blockedBy',
    'outcome',
  ]);
  if (typeof value === 'string') return (ENUMS.has(key) ? value : `${value}${EVIL}`) as T;
  if (Array.isArray(value)) return value.map((v) => taint(v, key)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, taint(v, k)])) as T;
  return value;
}

describe('preview HTML', () => {
  let folder: string;
  let path: string;
  let engine: FakeEngine;
  before(async () => {
    folder = fixtureFolder({ 'www/index.html': '<h1>hello</h1>\n' });
    path = join(folder, 'demo.mastercopy.yaml');
    engine = new FakeEngine();
    for (const [version, index] of [
      ['0.9.0', 0],
      ['0.9.0', 1],
    ] as const) {
      const labels = {
        [LABEL_MANAGED]: 'true',
        [LABEL_NAME]: 'demo',
        [LABEL_VERSION]: version,
        [LABEL_COPY]: String(index),
        [LABEL_DIGEST]: 'sha256:x',
      };
      const id = `${version}-${index}`.padEnd(64, '0');
      engine.containers.set(id, {
        id,
        spec: { image: `demo:${version}`, labels },
        labels,
        running: true,
        health: 'healthy',
        hostPorts: [32768 + index],
      });
    }
    // 0.9.0 serves; 0.8.0 served before it; a promote of 1.0.0 failed once.
    const rec = (
      version: string,
      outcome: LedgerRecord['outcome'],
      more: Partial<LedgerRecord> = {},
    ): Omit<LedgerRecord, 'seq'> => ({
      action: 'promote',
      version,
      imageId: `sha256:${'8'.repeat(64)}`,
      digest: 'sha256:d',
      outcome,
      at: '2026-12-01T10:00:00.000Z',
      by: { user: 'ann', host: 'box' },
      git: { commit: 'c'.repeat(40), dirty: true },
      replaced: null,
      copies: 2,
      folder: null,
      gateway: { port: 18080, target: 8080 },
      ...more,
    });
    await appendRecord(engine, 'demo', rec('0.8.0', 'promoted'));
    await appendRecord(engine, 'demo', rec('0.9.0', 'promoted', { replaced: '0.8.0' }));
    await appendRecord(
      engine,
      'demo',
      rec('1.0.0', 'failed', {
        imageId: '',
        reason: '2 of 2 green copies never became healthy; 0.9.0 keeps serving.',
      }),
    );
  });
  after(removeFixtures);

  async function model(
    text = TEXT,
    previous?: PreviewModel,
    withEngine = true,
  ): Promise<PreviewModel> {
    const state = await loadPreviewState(text, path, {
      engine: withEngine ? engine : undefined,
      fs: nodeBuildFileSystem,
      files: nodeFileAccess,
    });
    return previewModel(text, path, state, previous);
  }

  it('a whole document with the strict CSP, our nonce on the script and the stylesheets, every section', async () => {
    const doc = renderPreviewHtml(await model(), OPTIONS);
    const all = assertSafe(doc, true);
    const meta = all.filter(
      (t) => t.name === 'meta' && t.attributes.get('http-equiv') === 'Content-Security-Policy',
    );
    assert.equal(meta.length, 1);
    assert.equal(meta[0].attributes.get('content'), CSP);
    assert.ok(
      doc.indexOf('Content-Security-Policy') < doc.indexOf('<link'),
      'the policy comes before anything it governs',
    );
    assert.ok(!/unsafe-(inline|eval|hashes)/.test(doc));
    const links = all.filter((t) => t.name === 'link');
    assert.deepEqual(
      links.map((l) => [l.attributes.get('href'), l.attributes.get('nonce')]),
      [
        [OPTIONS.codiconsUri, NONCE],
        [OPTIONS.styleUri, NONCE],
      ],
    );
    for (const s of SECTIONS)
      assert.equal(
        all.filter((t) => t.attributes.get('data-section') === s).length,
        1,
        `section ${s}`,
      );
    assert.equal(
      all.filter((t) => t.attributes.get('data-slot') === 'drift').length,
      2,
      'a drift slot per copy',
    );
  });

  it('buttons (data-command, no handlers) only when trusted: Build, Print, Tail Logs, Promote, and Roll back in the History', async () => {
    const m = await model();
    const trusted = tags(renderPreviewHtml(m, OPTIONS));
    const buttons = trusted.filter((t) => t.name === 'button');
    assert.deepEqual(
      buttons.map((b) => b.attributes.get('data-command')),
      ['build', 'print', 'tailLogs', 'promote', 'rollback'],
    );
    assert.ok(
      buttons.every(
        (b) =>
          b.attributes.get('type') === 'button' && (b.attributes.get('title') ?? '').length > 0,
      ),
    );
    assert.ok(
      buttons.every((b) => !b.attributes.has('disabled')),
      'engine up, would build: all enabled',
    );
    const slot = trusted.find((t) => t.attributes.get('data-section') === 'promote');
    assert.ok(slot && !slot.attributes.has('hidden'), 'the Promote slot holds its button');
    // Without an engine nothing is known of what serves: the slot stays empty.
    const noEngine = tags(renderPreviewHtml(await model(TEXT, undefined, false), OPTIONS));
    assert.ok(
      noEngine
        .find((t) => t.attributes.get('data-section') === 'promote')
        ?.attributes.has('hidden'),
    );
    assert.ok(!noEngine.some((t) => t.attributes.get('data-command') === 'promote'));

    const untrustedDoc = renderPreviewHtml(m, { ...OPTIONS, trusted: false });
    assertSafe(untrustedDoc, true);
    assert.ok(!/<button/.test(untrustedDoc), 'no buttons at all');
    assert.ok(!/data-command/.test(untrustedDoc));
    assert.match(untrustedDoc, /Restricted Mode: this preview is read-only/);
    assert.match(untrustedDoc, /data-reveal-start=/, 'jumping to a range is reading, still there');

    const withPromote: PreviewModel = {
      ...m,
      actions: { ...m.actions, promote: { enabled: true, title: 'Promote to 1.0.0' } },
    };
    const promoted = tags(renderPreviewBody(withPromote, { trusted: true })).filter(
      (t) => t.attributes.get('data-command') === 'promote',
    );
    assert.equal(promoted.length, 1, 'the slot takes a Promote button without a rewrite');
    assert.ok(!/data-command="promote"/.test(renderPreviewBody(withPromote, { trusted: false })));
  });

  it(
    'Promote says what it would do now (the active version → this one, the copies, the endpoint), ' +
      'History lists the ledger newest first',
    async () => {
      const m = await model();
      const body = renderPreviewBody(m, { trusted: true });
      const plan =
        /<dt><span class="codicon codicon-rocket" aria-hidden="true"><\/span>Promote<\/dt><dd>(.*?)<\/dd>/s.exec(
          body,
        )?.[1] ?? '';
      assert.match(plan, /0\.9\.0 → 1\.0\.0/);
      assert.match(
        plan,
        /Would print 2 copies of <code>1\.0\.0<\/code> beside <code>0\.9\.0<\/code> \(which serves now\)/,
      );
      assert.match(
        plan,
        /The endpoint <code>127\.0\.0\.1:18080<\/code> moves to <code>1\.0\.0<\/code>/,
      );
      assert.match(
        body,
        new RegExp(
          'data-command="promote"[^>]*><span class="codicon codicon-rocket" aria-hidden="true"><\\/span>' +
            '<span>Promote 0\\.9\\.0 → 1\\.0\\.0<\\/span>',
        ),
      );

      const all = tags(body);
      const rows = all.filter((t) => t.name === 'tr' && t.attributes.has('data-seq'));
      assert.deepEqual(
        rows.map((r) => [r.attributes.get('data-seq'), r.attributes.get('class')]),
        [
          ['3', 'not-served'],
          ['2', 'active'],
          ['1', 'served'],
        ],
      );
      const rollbacks = all.filter((t) => t.attributes.get('data-command') === 'rollback');
      assert.deepEqual(
        rollbacks.map((b) => b.attributes.get('data-seq')),
        ['1'],
        'only 0.8.0: 0.9.0 serves, 1.0.0 never did',
      );
      assert.match(
        body,
        /<td><code>0\.9\.0<\/code> <span class="badge badge-ok">active<\/span> <span class="muted">was 0\.8\.0<\/span><\/td>/,
      );
      assert.match(
        body,
        /<span class="badge badge-error" title="2 of 2 green copies never became healthy; 0\.9\.0 keeps serving\.">failed<\/span>/,
      );
      assert.match(body, /<code>cccccccccccc \(dirty\)<\/code>/);
      assert.match(body, /2026-12-01 10:00:00Z/);
      assert.ok(
        !/data-command="rollback"/.test(renderPreviewBody(m, { trusted: false })),
        'no Roll back in Restricted Mode',
      );
      assert.match(
        renderPreviewBody(m, { trusted: false }),
        /data-section="history"/,
        'the history itself is there to read',
      );

      const locked: PreviewModel = {
        ...m,
        promote: {
          ...m.promote!,
          state: 'locked',
          lock: {
            by: 'bob@laptop',
            action: 'rollback',
            version: '0.8.0',
            since: '2026-12-01T10:05:00.000Z',
          },
        },
      };
      const lockedBody = renderPreviewBody(locked, { trusted: true });
      assert.match(
        lockedBody,
        /A rollback to <code>0\.8\.0<\/code> by bob@laptop runs since 2026-12-01 10:05:00Z: wait for it to finish\./,
      );
      assert.ok(
        tags(lockedBody)
          .filter((t) => t.attributes.get('data-command') === 'rollback')
          .every((b) => b.attributes.has('disabled')),
        'no Roll back while a deploy runs',
      );

      const noGateway: PreviewModel = { ...m, promote: { ...m.promote!, endpoint: undefined } };
      assert.match(
        renderPreviewBody(noGateway, { trusted: true }),
        /No <code>gateway<\/code>: there is no endpoint to move/,
      );

      // Autoscaled: the policy in the summary, the keeper's count and its last decision under the promote.
      const scaled: PreviewModel = {
        ...m,
        summary: {
          ...m.summary!,
          autoscale: '1–5 copies on 10 open connections per copy (cooldown 30s)',
        },
        promote: {
          ...m.promote!,
          kept: {
            version: '0.9.0',
            count: 4,
            by: 'autoscale',
            reason: '3 → 4: 31 open connections over 3 copies, target 10',
            at: '2026-12-01T14:03:00.000Z',
          },
        },
      };
      const scaledBody = renderPreviewBody(scaled, { trusted: true });
      assert.match(
        scaledBody,
        /<dt>Autoscale<\/dt><dd>1–5 copies on 10 open connections per copy \(cooldown 30s\)<\/dd>/,
      );
      assert.match(
        scaledBody,
        new RegExp(
          'Its keeper keeps 4 copies of <code>0\\.9\\.0<\\/code> — autoscaled 3 → 4: ' +
            '31 open connections over 3 copies, target 10 \\(2026-12-01 14:03:00Z\\)\\.',
        ),
      );
    },
  );

  it('every value of the model is escaped, in text and in attributes (trusted and untrusted, document and body)', async () => {
    const m = await model();
    m.copies![0].drift = { drifted: true, details: ['env changed'] };
    m.problems.push({
      severity: 'warning',
      message: 'm',
      code: 'c',
      start: 0,
      end: 1,
      line: 0,
      character: 0,
      endLine: 0,
      endCharacter: 1,
    });
    const evil = taint(m);
    // The engine-down banner, the stale banner and the refused texts render other fields: show them too.
    const down = taint({
      ...m,
      stale: true,
      engine: { reachable: false, host: 'h', error: 'down' },
      plan: {
        ...m.plan!,
        build: { ...m.plan!.build, state: 'refused' as const, existingDigest: 'sha256:old' },
      },
    });
    for (const model of [evil, down]) {
      for (const trusted of [true, false]) {
        const doc = renderPreviewHtml(model, { ...OPTIONS, trusted });
        assertSafe(doc, true);
        assertSafe(renderPreviewBody(model, { trusted }), false);
        assert.ok(!doc.includes(EVIL), 'never raw');
        assert.ok(doc.includes(EVIL_ESCAPED), 'shown as text');
        assert.ok(!doc.includes('<script>alert'));
      }
    }
    // Many fields, each escaped on its own: the title, a problem, the Dockerfile, a context path, a copy's version, a button title.
    const doc = renderPreviewHtml(evil, OPTIONS);
    assert.ok(
      doc.split(EVIL_ESCAPED).length - 1 >= 30,
      `only ${doc.split(EVIL_ESCAPED).length - 1} escaped values`,
    );
    assert.match(
      doc,
      new RegExp(
        `<title>Preview demo${escapeRe(EVIL_ESCAPED)} 1\\.0\\.0${escapeRe(EVIL_ESCAPED)}</title>`,
      ),
    );
  });

  it('a master copy whose values contain <script> renders them as text', async () => {
    const text = TEXT.replace(
      'copies: 2',
      `copies: 2\ndescription: "${EVIL.replace(/"/g, '\\"')}"\n` +
        `owners: ["<b>ops</b>", "a&b"]\nenv: { MOTD: "<script>alert('env')</script>" }\nworkdir: /srv/"><svg onload=alert(1)>`,
    )
      .replace('path: /health', `path: "/health?a=1&b='x'"`)
      .replace(
        'command: ["/bin/httpd", "-f", "-p", "8080"]',
        `command: "echo '<script>alert(4)</script>' \\"onerror=x"`,
      );
    const m = await model(text);
    assert.equal(m.valid, true, m.problems.map((p) => p.message).join('\n'));
    const doc = renderPreviewHtml(m, OPTIONS);
    assertSafe(doc, true);
    assert.ok(!doc.includes('<script>alert'));
    assert.ok(!doc.includes('<svg'));
    assert.ok(!doc.includes('<b>'));
    assert.ok(doc.includes(EVIL_ESCAPED), 'the description');
    assert.ok(doc.includes('&lt;b&gt;ops&lt;/b&gt;, a&amp;b'), 'the owners');
    assert.ok(
      doc.includes(`&lt;script&gt;alert(&#39;env&#39;)&lt;/script&gt;`),
      'the env value, in the Dockerfile',
    );
    assert.ok(doc.includes('&quot;&gt;&lt;svg onload=alert(1)&gt;'), 'the workdir');
    assert.ok(
      doc.includes('/health?a=1&amp;b=&#39;x&#39;'),
      'the health path (one a probe can send: no < > or " in it)',
    );
    assert.ok(
      doc.includes(`echo &#39;&lt;script&gt;alert(4)&lt;/script&gt;&#39; &quot;onerror=x`),
      'the command',
    );
  });

  it('an invalid master copy: its problems (links to their ranges) beside the last valid state', async () => {
    const good = await model();
    const broken = TEXT.replace('copies: 2', 'copies: <script>');
    const m = await model(broken, good);
    const doc = renderPreviewHtml(m, OPTIONS);
    const all = assertSafe(doc, true);
    assert.match(doc, /below is its last valid state/);
    const reveals = all.filter((t) => t.name === 'a' && t.attributes.has('data-reveal-start'));
    assert.equal(reveals.length, m.problems.length);
    assert.equal(
      broken.slice(
        Number(reveals[0].attributes.get('data-reveal-start')),
        Number(reveals[0].attributes.get('data-reveal-end')),
      ),
      '<script>',
    );
    assert.ok(
      all.some((t) => t.attributes.get('data-section') === 'dockerfile'),
      'the old Dockerfile is still shown',
    );
    const disabled = (command: string) =>
      all.find((t) => t.attributes.get('data-command') === command)?.attributes.has('disabled');
    assert.equal(disabled('build'), true, 'an invalid file cannot be built');
    assert.equal(disabled('print'), true);
    assert.equal(disabled('tailLogs'), false, 'the copies still run: their logs can be followed');
  });

  it('lists what a promote would change in the Promote section: escaped, marked, bounded', async () => {
    const m = await model();
    const items = [
      { field: 'env LOG_LEVEL', kind: 'changed' as const, before: 'info', after: EVIL },
      { field: `label ${EVIL}`, kind: 'added' as const, after: 'x' },
      { field: 'ports', kind: 'removed' as const, before: '8080/tcp', note: EVIL },
      ...Array.from({ length: 42 }, (_, i) => ({
        field: `env E${i}`,
        kind: 'added' as const,
        after: String(i),
      })),
    ];
    const withChanges: PreviewModel = {
      ...m,
      promote: {
        ...m.promote!,
        changes: { active: 'promoted by ann@box at 2026-12-01 10:00:00Z', items, notes: [EVIL] },
      },
    };
    for (const trusted of [true, false]) {
      const body = renderPreviewBody(withChanges, { trusted });
      const all = assertSafe(body, false);
      assert.ok(all.some((t) => t.attributes.has('data-changes')));
      assert.equal(
        all.filter((t) => t.name === 'tr' && /^change-/.test(t.attributes.get('class') ?? ''))
          .length,
        40,
      );
      assert.ok(body.includes(EVIL_ESCAPED) && !body.includes(EVIL));
      assert.match(
        body,
        /45 changes against <code>0\.9\.0<\/code>, promoted by ann@box at 2026-12-01 10:00:00Z\./,
      );
      assert.match(body, /<td><code>info<\/code> → <code>/);
      assert.match(body, /… and 5 more: <code>mastercopy diff<\/code> lists them all\./);
    }
    const none: PreviewModel = {
      ...m,
      promote: { ...m.promote!, changes: { active: 'promoted by ann@box', items: [], notes: [] } },
    };
    assert.match(renderPreviewBody(none, { trusted: true }), /No change from the active version\./);
  });

  it('the engine down: says so, and the static parts still render', async () => {
    const m = await model(TEXT, undefined, false);
    const doc = renderPreviewHtml(m, OPTIONS);
    const all = assertSafe(doc, true);
    assert.match(
      doc,
      /No Docker engine is configured\. The plan and the copies are unknown until it answers\./,
    );
    assert.match(doc, /engine down/);
    assert.match(doc, /FROM<\/span> busybox:stable/);
    assert.match(doc, /files\/0\/index\.html/);
    assert.ok(
      all
        .filter(
          (t) =>
            t.attributes.get('data-command') === 'build' ||
            t.attributes.get('data-command') === 'print',
        )
        .every((b) => b.attributes.has('disabled')),
    );
  });

  it('the body is exactly what the document holds in #preview-root', async () => {
    const m = await model();
    const doc = renderPreviewHtml(m, OPTIONS);
    const body = renderPreviewBody(m, { trusted: true });
    assert.ok(doc.includes(`<main id="preview-root" aria-live="polite">${body}</main>`));
  });

  it("keeps the master copy's URI on the body for the page to save (escaped like any value)", async () => {
    const source = `file:///w/${EVIL}.mastercopy.yaml`;
    const doc = renderPreviewHtml(await model(), { ...OPTIONS, source });
    const all = assertSafe(doc, true);
    const body = all.find((t) => t.name === 'body');
    assert.equal(
      body?.attributes.get('data-source'),
      escapeHtml(source),
      'the attribute holds the escaped URI (the browser unescapes it)',
    );
  });

  it('refuses a nonce or a CSP source that could change the policy', async () => {
    const m = await model();
    assert.throws(() => renderPreviewHtml(m, { ...OPTIONS, nonce: 'short' }), /nonce/);
    assert.throws(
      () => renderPreviewHtml(m, { ...OPTIONS, nonce: `${NONCE}' 'unsafe-inline` }),
      /nonce/,
    );
    assert.throws(
      () => renderPreviewHtml(m, { ...OPTIONS, cspSource: "x; script-src 'unsafe-inline'" }),
      /cspSource/,
    );
    assert.throws(() => renderPreviewHtml(m, { ...OPTIONS, cspSource: '' }), /cspSource/);
    assert.throws(
      () => renderPreviewHtml(m, { ...OPTIONS, cspSource: "'self' 'unsafe-inline'" }),
      /cspSource/,
    );
    assert.throws(
      () => renderPreviewHtml(m, { ...OPTIONS, cspSource: "'self'  https://x" }),
      /cspSource/,
    );
    // What VS Code's webviews give (a list with 'self').
    assert.match(
      renderPreviewHtml(m, { ...OPTIONS, cspSource: "'self' https://*.vscode-cdn.net" }),
      /style-src 'self' https:\/\/\*\.vscode-cdn\.net 'nonce-/,
    );
  });

  it('escapeHtml and the html tag', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    assert.equal(
      html`<p title="${'"x"'}">${'<b>'}${html`<i>${'&'}</i>`}${['<', html`<br>`]}${undefined}${false}${0}</p>`
        .html,
      '<p title="&quot;x&quot;">&lt;b&gt;<i>&amp;</i>&lt;<br>0</p>',
    );
    assert.equal(formatSize(0), '0 B');
    assert.equal(formatSize(1023), '1023 B');
    assert.equal(formatSize(1536), '1.5 KiB');
    assert.equal(formatSize(50 * 1024 * 1024), '50 MiB');
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
