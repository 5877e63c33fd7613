import * as assert from 'node:assert/strict';
import { completeAt, type CompletionItem } from '../../src/core/mastercopy/completion';
import { rootSchema } from '../../src/core/mastercopy/schema';
import { validateText } from '../../src/core/mastercopy/validator';
import { bigMasterCopy } from '../support/bigMasterCopy';
import { dedent, unmark } from '../support/marked';
import { medianMs } from '../support/timing';

/** Completion at the `|` in the (dedented) text. */
function complete(marked: string, options: { fileName?: string } = {}) {
  const { text, cursor } = unmark(dedent(marked), { cursor: true });
  assert.ok(cursor !== undefined, 'test text must mark the cursor with |');
  return { text, cursor, items: completeAt(text, cursor, options).items };
}

function labels(marked: string): string[] {
  return complete(marked).items.map((i) => i.label);
}

function item(items: CompletionItem[], label: string): CompletionItem {
  const found = items.find((i) => i.label === label);
  assert.ok(found, `no item "${label}" among ${items.map((i) => i.label).join(', ')}`);
  return found;
}

/** A snippet with every placeholder replaced by its default (the first choice; a mirror by its first default). */
function expandSnippet(s: string): string {
  const defaults = new Map<string, string>();
  const tokens: ({ text: string } | { tab: string; text?: string })[] = [];
  const re =
    /\\([\\$}])|\$\{(\d+):((?:[^\\}]|\\.)*)\}|\$\{(\d+)\|((?:[^\\|]|\\.)*?)(?:,(?:[^\\|]|\\.)*)*\|\}|\$\{(\d+)\}|\$(\d+)|([^\\$]+|[\\$])/g;
  for (const m of s.matchAll(re)) {
    if (m[1]) tokens.push({ text: m[1] });
    else if (m[2]) {
      const text = m[3].replace(/\\(.)/g, '$1');
      if (!defaults.has(m[2])) defaults.set(m[2], text);
      tokens.push({ tab: m[2], text });
    } else if (m[4]) {
      const text = m[5].replace(/\\(.)/g, '$1');
      if (!defaults.has(m[4])) defaults.set(m[4], text);
      tokens.push({ tab: m[4], text });
    } else if (m[6] || m[7]) tokens.push({ tab: m[6] ?? m[7] });
    else tokens.push({ text: m[8] });
  }
  return tokens.map((t) => ('tab' in t ? (t.text ?? defaults.get(t.tab) ?? '') : t.text)).join('');
}

/** The text after accepting `it`, inserted the way VS Code does (lines after the first get the line's indentation). */
function accept(text: string, cursor: number, it: CompletionItem): string {
  const range = it.replaceRange ?? { start: cursor, end: cursor };
  const lineStart = text.lastIndexOf('\n', range.start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, range.start))![0];
  const insert = (it.isSnippet ? expandSnippet(it.insertText) : it.insertText).replace(
    /\n/g,
    '\n' + indent,
  );
  return text.slice(0, range.start) + insert + text.slice(range.end);
}

function errors(text: string): string[] {
  return validateText(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.message} at ${JSON.stringify(text.slice(d.range.start, d.range.end))}`);
}

/** Accepting `label` at the cursor gives a master copy without errors; returns that text. */
function acceptsValid(marked: string, label: string): string {
  const { text, cursor, items } = complete(marked);
  const after = accept(text, cursor, item(items, label));
  assert.deepEqual(errors(after), [], `after accepting "${label}":\n${after}`);
  return after;
}

const ROOT_KEYS = Object.keys(rootSchema.properties!);

describe('completion', () => {
  describe('root keys', () => {
    it('offers every root key and the new master copy snippet in an empty file', () => {
      const { items } = complete('|');
      assert.deepEqual(
        items
          .filter((i) => i.kind === 'property')
          .map((i) => i.label)
          .sort(),
        [...ROOT_KEYS].sort(),
      );
      assert.equal(item(items, 'new master copy').kind, 'snippet');
    });

    it('sorts mastercopy, name, version and from first', () => {
      const { items } = complete('|');
      const sorted = [...items]
        .filter((i) => i.kind === 'property')
        .sort((a, b) => a.sortText!.localeCompare(b.sortText!));
      assert.deepEqual(
        sorted.slice(0, 4).map((i) => i.label),
        ['mastercopy', 'name', 'version', 'from'],
      );
    });

    it('leaves out keys that are already there, above and below the cursor', () => {
      const got = labels(`
        mastercopy: 1
        name: demo
        |
        from: busybox:stable
        health:
          interval: 2s
      `);
      for (const k of ['mastercopy', 'name', 'from', 'health'])
        assert.ok(!got.includes(k), `${k} is present`);
      for (const k of ['version', 'runtime', 'ports', 'files'])
        assert.ok(got.includes(k), `${k} missing`);
      assert.ok(!got.includes('new master copy'), 'the scaffold is only for an empty file');
    });

    it('does not take keys of nested mappings or list items for root keys', () => {
      const got = labels(`
        files:
        - path: /a
          content: x
        health:
          http: { port: 8080 }
        |
      `);
      for (const k of ['path', 'content', 'http']) assert.ok(!got.includes(k), k);
      assert.ok(got.includes('name'));
      assert.ok(!got.includes('files') && !got.includes('health'));
    });

    it('a partly typed key: the items replace it', () => {
      const { text, items } = complete(`
        mastercopy: 1
        hea|
      `);
      const health = item(items, 'health');
      assert.equal(text.slice(health.replaceRange!.start, health.replaceRange!.end), 'hea');
    });

    it('the replace range covers the rest of the word after the cursor too', () => {
      const { text, items } = complete('mastercopy: 1\nhe|al\n');
      const r = item(items, 'health').replaceRange!;
      assert.equal(text.slice(r.start, r.end), 'heal');
    });

    it('inserts only the key when the line already has its colon', () => {
      const { items } = complete('mastercopy: 1\nrunt|: \n');
      const runtime = item(items, 'runtime');
      assert.equal(runtime.insertText, 'runtime');
      assert.equal(runtime.isSnippet, false);
    });

    it('documents each key from the schema', () => {
      const runtime = item(complete('|').items, 'runtime');
      assert.match(runtime.documentation!, /immutable, hardened/);
      assert.equal(runtime.detail, 'object');
      const copies = item(complete('|').items, 'copies');
      assert.match(copies.documentation!, /How many copies/);
      assert.match(copies.documentation!, /Default: `1`/);
    });

    it('works with CRLF line ends', () => {
      const { text, items } = complete(
        'mastercopy: 1\r\nruntime:\r\n  readOnly: true\r\n  rest|\r\n  memory: 64m\r\n',
      );
      assert.deepEqual(items.map((i) => i.label).sort(), [
        'capabilities',
        'cpus',
        'noNewPrivileges',
        'restart',
        'tmpfs',
      ]);
      assert.equal(text.slice(items[0].replaceRange!.start, items[0].replaceRange!.end), 'rest');
    });

    it('still completes when the YAML elsewhere is broken', () => {
      const got = labels(`
        mastercopy: 1
        name: [unclosed
        env: { A: 1
          bad indentation: : :
        |
        ports:
          - 8080
      `);
      assert.ok(got.includes('runtime'));
      assert.ok(!got.includes('ports') && !got.includes('mastercopy'));
    });
  });

  describe('nested keys', () => {
    it('under health', () => {
      assert.deepEqual(
        labels(`
        health:
          |
      `).sort(),
        ['command', 'http', 'interval', 'retries', 'startPeriod', 'timeout'],
      );
    });

    it('under health.http, without the keys already there', () => {
      assert.deepEqual(
        labels(`
        health:
          http:
            port: 8080
            |
          interval: 2s
      `),
        ['path'],
      );
    });

    it('under runtime, with a partial word', () => {
      const { text, items } = complete(`
        runtime:
          readOnly: true
          cap|
      `);
      assert.deepEqual(items.map((i) => i.label).sort(), [
        'capabilities',
        'cpus',
        'memory',
        'noNewPrivileges',
        'restart',
        'tmpfs',
      ]);
      const r = items[0].replaceRange!;
      assert.equal(text.slice(r.start, r.end), 'cap');
    });

    it('under runtime.capabilities', () => {
      assert.deepEqual(
        labels(`
        runtime:
          capabilities:
            drop: [ALL]
            |
      `),
        ['add'],
      );
    });

    it('under build', () => {
      assert.deepEqual(
        labels(`
        from: busybox:stable
        build:
          |
      `).sort(),
        ['args', 'steps'],
      );
    });

    it('nothing inside a map of free names (env)', () => {
      assert.deepEqual(
        labels(`
        env:
          |
      `),
        [],
      );
    });
  });

  describe('keys in list items', () => {
    it('after `- ` in files', () => {
      const got = labels(`
        files:
          - |
      `);
      assert.deepEqual(got.sort(), ['content', 'mode', 'owner', 'path', 'source']);
    });

    it('on the continuation line of a files item, without the keys of that item', () => {
      assert.deepEqual(
        labels(`
        files:
          - path: /etc/a
            content: >
              hello
            |
          - path: /etc/b
            mode: "0644"
      `).sort(),
        ['mode', 'owner', 'source'],
      );
    });

    it('in a files item written at the same indentation as its key', () => {
      assert.deepEqual(
        labels(`
        files:
        - path: /etc/a
          |
      `).sort(),
        ['content', 'mode', 'owner', 'source'],
      );
    });

    it('after `- ` in ports: the object keys', () => {
      assert.deepEqual(
        labels(`
        ports:
          - 8080
          - |
      `).sort(),
        ['hostPort', 'port', 'protocol'],
      );
    });

    it('on the continuation line of a ports object item', () => {
      assert.deepEqual(
        labels(`
        ports:
          - port: 5353
            |
      `).sort(),
        ['hostPort', 'protocol'],
      );
    });

    it('in volumes and secrets items', () => {
      assert.deepEqual(
        labels(`
        volumes:
          - name: data
            |
      `).sort(),
        ['path', 'readOnly'],
      );
      assert.deepEqual(
        labels(`
        secrets:
          - |
      `).sort(),
        ['fromEnv', 'fromFile', 'name'],
      );
    });

    it('after `- ` in capabilities.drop: the capability examples', () => {
      assert.deepEqual(
        labels(`
        runtime:
          capabilities:
            drop:
              - |
      `),
        ['ALL', 'NET_BIND_SERVICE', 'CHOWN'],
      );
    });

    it('a partly typed list item value', () => {
      const { text, items } = complete('runtime:\n  capabilities:\n    add:\n      - NET|\n');
      // Not filtered here: the editor filters by what is typed.
      assert.deepEqual(
        items.map((i) => i.label),
        ['ALL', 'NET_BIND_SERVICE', 'CHOWN'],
      );
      const r = item(items, 'NET_BIND_SERVICE').replaceRange!;
      assert.equal(text.slice(r.start, r.end), 'NET');
    });

    it('a list with no item yet offers a new item', () => {
      const { items } = complete(`
        files:
          |
      `);
      assert.deepEqual(
        items.map((i) => i.label),
        ['- path: /etc/app/config'],
      );
      assert.equal(items[0].insertText, '- path: ${1:/etc/app/config}\n  content: |\n    $2');
    });

    it('no keys inside a block scalar', () => {
      assert.deepEqual(
        labels(`
        files:
          - path: /etc/a
            content: >
              hello
              |
      `),
        [],
      );
      assert.deepEqual(
        labels(`
        files:
          - path: /etc/a
            content: >
              hello
            |
      `).sort(),
        ['mode', 'owner', 'source'],
        'back at the indentation of the keys',
      );
    });

    it('nothing in a comment', () => {
      assert.deepEqual(
        labels(`
        runtime:
          # rest|
      `),
        [],
      );
      assert.deepEqual(
        labels(`
        runtime:
          restart: always # why|
      `),
        [],
      );
    });
  });

  describe('flow collections on the line', () => {
    it('`capabilities: { |`: the keys', () => {
      assert.deepEqual(
        labels(`
        runtime:
          capabilities: { |
      `).sort(),
        ['add', 'drop'],
      );
    });

    it('`capabilities: { drop: [|`: capability values', () => {
      assert.deepEqual(
        labels(`
        runtime:
          capabilities: { drop: [|
      `),
        ['ALL', 'NET_BIND_SERVICE', 'CHOWN'],
      );
    });

    it('`capabilities: { drop: [ALL], |`: the keys not yet there', () => {
      assert.deepEqual(
        labels(`
        runtime:
          capabilities: { drop: [ALL], |
      `),
        ['add'],
      );
    });

    it('`ports: [8080, { |`: the port object keys', () => {
      assert.deepEqual(labels('ports: [8080, { |').sort(), ['hostPort', 'port', 'protocol']);
    });

    it('`ports: [{ port: 53, protocol: |`: the protocols', () => {
      const { text, items } = complete('ports: [{ port: 53, protocol: u| }]\n');
      assert.deepEqual(
        items.map((i) => i.label),
        ['tcp', 'udp'],
      );
      const r = items[0].replaceRange!;
      assert.equal(text.slice(r.start, r.end), 'u');
    });

    it('`- { port: 53, |` in a block list', () => {
      assert.deepEqual(
        labels(`
        ports:
          - { port: 53, |
      `).sort(),
        ['hostPort', 'protocol'],
      );
    });

    it('keys in flow insert a single line', () => {
      const { items } = complete('health: { http: { port: 8080, |');
      assert.deepEqual(
        items.map((i) => i.label),
        ['path'],
      );
      assert.equal(items[0].insertText, 'path: ${1:/}');
    });
  });

  describe('values', () => {
    it('runtime.restart: the enum, the default marked', () => {
      const { items } = complete(`
        runtime:
          restart: |
      `);
      assert.deepEqual(
        items.map((i) => i.label),
        ['no', 'on-failure', 'always', 'unless-stopped'],
      );
      assert.equal(item(items, 'no').insertText, '"no"');
      assert.equal(item(items, 'on-failure').detail, 'default');
      assert.ok(items.every((i) => i.kind === 'value'));
    });

    it('a partly typed value is replaced to the end of the value', () => {
      const { text, items } = complete(`
        runtime:
          restart: al|w  # comment
      `);
      const r = item(items, 'always').replaceRange!;
      assert.equal(text.slice(r.start, r.end), 'alw');
    });

    it('protocol of a ports item', () => {
      assert.deepEqual(
        labels(`
        ports:
          - port: 5353
            protocol: |
      `),
        ['tcp', 'udp'],
      );
    });

    it('booleans: readOnly, noNewPrivileges', () => {
      assert.deepEqual(
        labels(`
        runtime:
          readOnly: |
      `),
        ['true', 'false'],
      );
      const { items } = complete(`
        runtime:
          noNewPrivileges: f|
      `);
      assert.deepEqual(
        items.map((i) => i.label),
        ['true', 'false'],
      );
      assert.equal(item(items, 'true').detail, 'default');
    });

    it('mastercopy: the constant 1', () => {
      assert.deepEqual(labels('mastercopy: |'), ['1']);
    });

    it('right after the colon, a value gets a space', () => {
      const { items } = complete('mastercopy:|');
      assert.equal(items[0].insertText, ' 1');
    });

    it('strings: the examples', () => {
      assert.deepEqual(labels('from: |'), [
        'busybox:stable',
        'debian:bookworm-slim',
        'rabbitmq:3.13-management',
      ]);
      assert.deepEqual(labels('version: |'), ['1.4.0', '2026-11-25.1']);
      assert.equal(item(complete('version: |').items, '1.4.0').insertText, '"1.4.0"');
    });

    it('nothing for free text without examples', () => {
      assert.deepEqual(
        labels(`
        files:
          - path: /a
            content: |
      `),
        [],
      );
      assert.deepEqual(labels('files:\n  - path: /a\n    content: x|'), []);
      assert.deepEqual(labels('unknown: |'), []);
    });

    it('values of list items', () => {
      assert.deepEqual(labels('runtime:\n  tmpfs: [/tmp, |'), []);
      assert.deepEqual(labels('ports:\n  - 8080\n  - { protocol: |'), ['tcp', 'udp']);
    });
  });

  describe('snippets', () => {
    const BASE = [
      'mastercopy: 1',
      'name: demo',
      'version: "1.0.0"',
      'from: busybox:stable',
      'ports: [8080]',
    ];

    for (const key of ROOT_KEYS) {
      it(`root key ${key} gives a valid master copy`, () => {
        let lines = BASE.filter((l) => !l.startsWith(`${key}:`));
        if (key === 'dockerfile') lines = lines.filter((l) => !l.startsWith('from:'));
        if (key === 'autoscale') lines.push('gateway: { port: 18080, target: 8080 }'); // it scales what a gateway serves
        acceptsValid(lines.join('\n') + '\n|\n', key);
      });
    }

    it('sections are snippets that create the section', () => {
      const { items } = complete('|');
      assert.equal(
        item(items, 'health').insertText,
        'health:\n  http:\n    port: ${1:8080}\n    path: ${2:/health}',
      );
      assert.equal(
        item(items, 'files').insertText,
        'files:\n  - path: ${1:/etc/app/config}\n    content: |\n      $2',
      );
      assert.equal(item(items, 'ports').insertText, 'ports:\n  - ${1:8080}');
      assert.equal(
        item(items, 'secrets').insertText,
        'secrets:\n  - name: ${1:DB_PASSWORD}\n    fromEnv: ${2:DB_PASSWORD}',
      );
      assert.equal(
        item(items, 'volumes').insertText,
        'volumes:\n  - name: ${1:data}\n    path: ${2:/var/lib/data}',
      );
      assert.equal(
        item(items, 'gateway').insertText,
        'gateway:\n  port: ${1:18080}\n  target: ${2:8080}',
      );
      assert.equal(
        item(items, 'autoscale').insertText,
        'autoscale:\n  min: ${1:1}\n  max: ${2:5}\n  inflight: ${3:10}\n  cooldown: ${4:30s}',
      );
      assert.equal(
        item(items, 'build').insertText,
        'build:\n  steps:\n    - ${1:mkdir -p /srv/data}',
      );
      assert.equal(item(items, 'env').insertText, 'env:\n  ${1:LOG_LEVEL}: ${2:info}');
      assert.match(
        item(items, 'runtime').insertText,
        /^runtime:\n  readOnly: \$\{1\|true,false\|\}\n/,
      );
      for (const k of [
        'health',
        'files',
        'ports',
        'secrets',
        'volumes',
        'gateway',
        'build',
        'env',
        'runtime',
      ])
        assert.equal(item(items, k).isSnippet, true, k);
    });

    it('scalars: `key: ` with a placeholder where there is something to propose', () => {
      const { items } = complete('|');
      assert.deepEqual(
        {
          mastercopy: item(items, 'mastercopy').insertText,
          version: item(items, 'version').insertText,
          user: item(items, 'user').insertText,
          from: item(items, 'from').insertText,
        },
        {
          mastercopy: 'mastercopy: 1',
          version: 'version: "${1:1.4.0}"',
          user: 'user: "${1:1000}"',
          from: 'from: ${1:busybox:stable}',
        },
      );
      assert.equal(item(items, 'mastercopy').isSnippet, false);
      const content = item(complete('files:\n  - path: /a\n    |').items, 'source');
      assert.equal(content.insertText, 'source: ${1:./www}');
    });

    it('the runtime snippet is the hardened defaults', () => {
      const after = acceptsValid(BASE.join('\n') + '\n|\n', 'runtime');
      const runtime = validateText(after).masterCopy!.runtime!;
      assert.deepEqual(runtime, {
        readOnly: true,
        tmpfs: ['/tmp'],
        capabilities: { drop: ['ALL'], add: [] },
        noNewPrivileges: true,
        restart: 'on-failure',
      });
    });

    it('nested section snippets are valid where they are inserted', () => {
      const head = BASE.join('\n') + '\n';
      acceptsValid(head + 'health:\n  interval: 2s\n  |\n', 'http');
      acceptsValid(head + 'health:\n  |\n', 'command');
      acceptsValid(head + 'health:\n  http:\n    port: 8080\n    |\n', 'path');
      for (const k of [
        'readOnly',
        'tmpfs',
        'capabilities',
        'noNewPrivileges',
        'memory',
        'cpus',
        'restart',
      ])
        acceptsValid(head + 'runtime:\n  |\n', k);
      acceptsValid(head + 'runtime:\n  capabilities:\n    |\n', 'drop');
      acceptsValid(head + 'runtime:\n  capabilities:\n    |\n', 'add');
      acceptsValid(head + 'build:\n  |\n', 'args');
      acceptsValid(head + 'build:\n  |\n', 'steps');
      for (const k of ['mode', 'owner'])
        acceptsValid(head + 'files:\n  - path: /etc/a\n    content: x\n    |\n', k);
      acceptsValid(head + 'files:\n  - path: /etc/a\n    |\n', 'content');
      acceptsValid(head + 'volumes:\n  - name: data\n    path: /var/lib/data\n    |\n', 'readOnly');
    });

    it('a key after `- ` has its lines indented under the key, not under the dash', () => {
      const { items } = complete('files:\n  - |');
      assert.equal(item(items, 'content').insertText, 'content: |\n    $1');
      acceptsValid(
        BASE.join('\n') + '\nfiles:\n  - path: /etc/a\n    content: x\n  - |\n    path: /etc/b\n',
        'content',
      );
    });

    it('new list items are valid', () => {
      const head = BASE.join('\n') + '\n';
      acceptsValid(head + 'files:\n  |\n', '- path: /etc/app/config');
      acceptsValid(head + 'volumes:\n  - name: a\n    path: /a\n  |\n', '- name: data');
      acceptsValid(head.replace('ports: [8080]\n', '') + 'ports:\n  |\n', '- 8080');
      acceptsValid(head + 'owners:\n  |\n', '- devs');
    });

    it('the new master copy snippet is a valid master copy, named after the file', () => {
      const { text, cursor, items } = complete('|', {
        fileName: '/work/Payments API.mastercopy.yaml',
      });
      const scaffold = item(items, 'new master copy');
      const after = accept(text, cursor, scaffold);
      assert.deepEqual(errors(after), []);
      assert.match(after, /^name: payments-api$/m);
      assert.equal(scaffold.sortText, '00');
    });
  });

  describe('speed', () => {
    it('takes well under 5 ms on a 2,000-line master copy', () => {
      const text = bigMasterCopy(2000);
      const places = [
        text.length, // a new root key at the end
        text.indexOf('  readOnly: true') + 2, // a key under runtime
        text.indexOf('restart: on-failure') + 'restart: '.length, // a value
        text.lastIndexOf('    mode: "0644"') + 4, // a key in the last files item
        text.lastIndexOf('setting_3') + 3, // inside a block scalar near the end
      ];
      for (const offset of places) {
        const ms = medianMs(() => completeAt(text, offset));
        assert.ok(ms < 5, `${ms.toFixed(2)} ms at offset ${offset}`);
      }
    });
  });
});
