import * as assert from 'node:assert/strict';
import { hoverAt } from '../../src/core/mastercopy/hover';
import { bigMasterCopy } from '../support/bigMasterCopy';
import { dedent, unmark } from '../support/marked';
import { medianMs } from '../support/timing';

/** Hover at the `|`; the text marks the expected range with « ». */
function hover(marked: string) {
  const { text, cursor, ranges } = unmark(dedent(marked), { cursor: true });
  assert.ok(cursor !== undefined, 'test text must mark the cursor with |');
  return { text, ranges, hover: hoverAt(text, cursor) };
}

/** A hover exactly on the marked range, whose markdown has `title` and matches every pattern. */
function expectHover(marked: string, title: string, ...patterns: RegExp[]): string {
  const { text, ranges, hover: h } = hover(marked);
  assert.equal(ranges.length, 1, 'test text must mark one range');
  assert.ok(h, 'no hover');
  assert.deepEqual(
    h.range,
    ranges[0],
    `hover on [${text.slice(h.range.start, h.range.end)}], expected [${text.slice(ranges[0].start, ranges[0].end)}]`,
  );
  assert.ok(h.markdown.startsWith(`**\`${title}\`**`), h.markdown);
  for (const p of patterns) assert.match(h.markdown, p);
  return h.markdown;
}

function expectNone(marked: string) {
  const { hover: h } = hover(marked);
  assert.equal(h, undefined, h && `unexpected hover: ${h.markdown}`);
}

describe('hover', () => {
  it('on a top-level key', () => {
    expectHover(
      `
      mastercopy: 1
      «fr|om»: busybox:stable
      `,
      'from',
      /Base image reference/,
      /Example:\n```yaml\nfrom: busybox:stable\n```/,
    );
  });

  it('on a top-level key whose value is a block below it', () => {
    expectHover(
      `
      «run|time»:
        restart: always
      `,
      'runtime',
      /immutable, hardened/,
    );
  });

  it('on a nested key: description, allowed values and default', () => {
    const md = expectHover(
      `
      runtime:
        readOnly: true
        «rest|art»: always
      `,
      'runtime.restart',
    );
    assert.equal(
      md,
      [
        '**`runtime.restart`** · no | on-failure | always | unless-stopped',
        "What the engine does when a copy's process exits.",
        'Allowed values: `no`, `on-failure`, `always`, `unless-stopped`',
        'Default: `on-failure`',
      ].join('\n\n'),
    );
  });

  it('on an enum value: the same', () => {
    expectHover(
      `
      runtime:
        restart: «alw|ays»  # comment
      `,
      'runtime.restart',
      /Allowed values: `no`, `on-failure`, `always`, `unless-stopped`/,
    );
  });

  it('three levels deep', () => {
    expectHover(
      `
      health:
        http:
          «po|rt»: 8080
      `,
      'health.http.port',
      /Container port to probe/,
      /Example:\n```yaml\nport: 8080\n```/,
    );
  });

  it('on keys of list items, with their index', () => {
    const text = `
      files:
        - path: /etc/a
          content: x
        - «pa|th»: /etc/b
          content: y
      `;
    expectHover(text, 'files[1].path', /Absolute path of the file/);
    expectHover(
      `
      files:
        - path: /etc/a
          «mo|de»: "0644"
          content: x
      `,
      'files[0].mode',
      /octal/,
    );
    expectHover(
      `
      files:
      - path: /etc/a
        mode: «"06|44"»
      `,
      'files[0].mode',
    );
  });

  it('in flow collections', () => {
    expectHover(
      'health:\n  http: { port: 8080, «pa|th»: /health }\n',
      'health.http.path',
      /Path to request/,
      /Default: `\/`/,
    );
    expectHover(
      'ports: [8080, { port: 5353, protocol: «u|dp» }]\n',
      'ports[1].protocol',
      /Allowed values: `tcp`, `udp`/,
    );
    expectHover('ports:\n  - «80|80»\n', 'ports[0]', /A port: a number \(TCP\)/);
    expectHover(
      'runtime:\n  capabilities: { drop: [«A|LL»] }\n',
      'runtime.capabilities.drop[0]',
      /Capabilities to drop/,
    );
  });

  it('a value shows what its key is', () => {
    expectHover('mastercopy: 1\nname: «tra|nsaction-service»\n', 'name', /lowercase DNS label/);
    expectHover('mastercopy: «|1»\n', 'mastercopy', /Allowed values: `1`/);
  });

  it('inside a block scalar: the value it belongs to', () => {
    const { text, hover: h } = hover(`
      files:
        - path: /etc/a
          content: >
            hel|lo
            world
          mode: "0644"
      `);
    assert.ok(h);
    assert.match(h.markdown, /^\*\*`files\[0\]\.content`\*\*/);
    assert.equal(text.slice(h.range.start, h.range.end), '>\n      hello\n      world');
  });

  it('nothing in a comment, on a dash, in the indentation or on an unknown key', () => {
    expectNone('# a master co|py\nmastercopy: 1\n');
    expectNone('runtime:   # hardened| defaults\n  readOnly: true\n');
    expectNone('runtime:\n  # hard|ened\n  readOnly: true\n');
    expectNone('runtime:\n  restart: always # wh|y\n');
    expectNone('files:\n  |- path: /a\n');
    expectNone('runtime:\n | readOnly: true\n');
    expectNone('mastercopy: 1\nunkno|wn: 2\n');
    expectNone('runtime:\n  readOnly: true\n|\n');
  });

  it('works with CRLF line ends', () => {
    expectHover(
      'mastercopy: 1\r\nruntime:\r\n  «read|Only»: true\r\n  restart: always\r\n',
      'runtime.readOnly',
      /read-only/,
    );
    expectHover('mastercopy: 1\r\nruntime:\r\n  restart: «alw|ays»\r\n', 'runtime.restart');
  });

  it('still works when the YAML elsewhere is broken', () => {
    expectHover(
      `
      name: [unclosed
      env: { A: 1
      runtime:
        «noNew|Privileges»: true
      `,
      'runtime.noNewPrivileges',
      /Forbid gaining privileges/,
    );
  });

  it('takes well under 5 ms on a 2,000-line master copy', () => {
    const text = bigMasterCopy(2000);
    const places = [
      text.indexOf('restart: on-failure') + 2,
      text.indexOf('restart: on-failure') + 'restart: o'.length,
      text.lastIndexOf('    mode: "0644"') + 5,
      text.lastIndexOf('setting_3') + 3,
      text.lastIndexOf('- path: /etc/app') + 4,
    ];
    for (const offset of places) {
      assert.ok(hoverAt(text, offset), `a hover at ${offset}`);
      const ms = medianMs(() => hoverAt(text, offset));
      assert.ok(ms < 5, `${ms.toFixed(2)} ms at offset ${offset}`);
    }
  });
});
