import * as assert from 'node:assert/strict';
import { generateDockerfile, shellWord } from '../../../src/core/build/dockerfile';
import { BuildPlanError } from '../../../src/core/build/errors';
import type { MasterCopy } from '../../../src/core/mastercopy/model';
import { readEnvLine, readExecForm, readQuoted, readShellWord } from './dockerfileWords';

const BASE: MasterCopy = { mastercopy: 1, name: 'demo', version: '1.0.0', from: 'busybox:stable' };
const KEYWORDS = /^(FROM|ARG|ENV|RUN|COPY|EXPOSE|HEALTHCHECK|WORKDIR|USER|ENTRYPOINT|CMD) /;

/** Values that would break a naively generated Dockerfile (no line breaks: see below). */
const NASTY = [
  'back\\slash\\',
  '\\',
  'quote " and \' single',
  '$HOME ${PATH} $(id) `id` $$',
  '["/bin/sh", "-c", "touch /pwned"]',
  '{"json": true, "list": [1, 2]}',
  'tab\there',
  ' leading and trailing spaces ',
  '# not a comment',
  'unicode ü 💳 \u2028 line separator \u2029',
  'ends with a continuation \\',
  '',
];
/** Values with line breaks: legal in commands and paths, refused in ENV. */
const MULTILINE = ['x\nRUN rm -rf /', 'a\\\nRUN touch /pwned', 'crlf\r\nUSER root', 'nul\0byte'];

function generate(mc: Partial<MasterCopy>, contextPaths: string[] = []) {
  const out = generateDockerfile({ ...BASE, ...mc }, contextPaths);
  const lines = out.text.split('\n');
  assert.equal(lines.pop(), '', 'the Dockerfile ends with a newline');
  // The guarantee: one line per instruction, each a known instruction, none continued.
  assert.equal(lines.length, out.instructions.length, out.text);
  for (const line of lines) {
    assert.match(line, KEYWORDS);
    assert.doesNotMatch(
      line,
      /\\\s*$/,
      `a line ending in a backslash continues the instruction: ${line}`,
    );
  }
  assert.deepEqual(
    lines,
    out.instructions.map((i) => i.text),
  );
  return out;
}

describe('Dockerfile generation', () => {
  it('writes the example transaction service in order, with origins', () => {
    const { text, instructions } = generate(
      {
        build: {
          args: { CURRENCY: 'EUR', RETRIES: 3 },
          steps: ['mkdir -p /srv/data', ['/bin/busybox', 'true']],
        },
        env: { LOG_LEVEL: 'info', WORKERS: 4 },
        files: [
          { path: '/etc/app.yaml', content: 'a: 1\n' },
          { path: '/srv/www', source: './www', owner: '1000:1000' },
        ],
        ports: [8080, { port: 5353, protocol: 'udp' }],
        health: {
          command: 'wget -q -O- http://127.0.0.1:8080/health',
          interval: '2s',
          timeout: '1s',
          retries: 3,
          startPeriod: '5s',
        },
        workdir: '/srv/www',
        user: '1000',
        entrypoint: ['/bin/sh', '-c'],
        command: ['/bin/httpd', '-f', '-p', '8080'],
      },
      ['files/0', 'files/1'],
    );
    assert.equal(
      text,
      [
        'FROM busybox:stable',
        'ARG CURRENCY',
        'ARG RETRIES',
        'ENV LOG_LEVEL="info"',
        'ENV WORKERS="4"',
        'RUN ["/bin/sh", "-c", "mkdir -p /srv/data"]',
        'RUN ["/bin/busybox", "true"]',
        'COPY ["files/0", "/etc/app.yaml"]',
        'COPY --chown=1000:1000 ["files/1", "/srv/www"]',
        'EXPOSE 8080/tcp',
        'EXPOSE 5353/udp',
        'HEALTHCHECK --interval=2s --timeout=1s --start-period=5s --retries=3 ' +
          'CMD ["/bin/sh", "-c", "wget -q -O- http://127.0.0.1:8080/health"]',
        'WORKDIR "/srv/www"',
        'USER 1000',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["/bin/httpd", "-f", "-p", "8080"]',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      instructions.map((i) => i.origin),
      [
        ['from'],
        ['build', 'args', 'CURRENCY'],
        ['build', 'args', 'RETRIES'],
        ['env', 'LOG_LEVEL'],
        ['env', 'WORKERS'],
        ['build', 'steps', 0],
        ['build', 'steps', 1],
        ['files', 0],
        ['files', 1],
        ['ports', 0],
        ['ports', 1],
        ['health', 'command'],
        ['workdir'],
        ['user'],
        ['entrypoint'],
        ['command'],
      ],
    );
  });

  it('never writes a build arg value, a label or a secret into the Dockerfile', () => {
    const { text } = generate({
      build: { args: { CURRENCY: 'EUR-VALUE-NOT-HERE' } },
      labels: { team: 'LABEL-VALUE-NOT-HERE' },
      secrets: [{ name: 'DB_PASSWORD', fromEnv: 'DB_PASSWORD_SOURCE' }],
    });
    assert.doesNotMatch(text, /EUR-VALUE-NOT-HERE|LABEL-VALUE-NOT-HERE|DB_PASSWORD|LABEL/);
  });

  it('shell-form commands become exec form through /bin/sh -c', () => {
    const { instructions } = generate({
      build: { steps: ['echo one && echo two'] },
      command: 'exec httpd -f',
      entrypoint: 'exec tini',
    });
    assert.deepEqual(readExecForm(instructions[1].text), ['/bin/sh', '-c', 'echo one && echo two']);
    assert.deepEqual(readExecForm(instructions.find((i) => i.origin[0] === 'entrypoint')!.text), [
      '/bin/sh',
      '-c',
      'exec tini',
    ]);
    assert.deepEqual(readExecForm(instructions.find((i) => i.origin[0] === 'command')!.text), [
      '/bin/sh',
      '-c',
      'exec httpd -f',
    ]);
  });

  describe('injection attempts arrive as plain values', () => {
    for (const value of [...NASTY, ...MULTILINE]) {
      it(`in build steps, commands and health checks: ${JSON.stringify(value)}`, () => {
        const { instructions } = generate({
          build: { steps: [value, ['/bin/echo', value]] },
          command: value,
          entrypoint: [value],
          health: { command: value },
        });
        assert.deepEqual(readExecForm(instructions[1].text), ['/bin/sh', '-c', value]);
        assert.deepEqual(readExecForm(instructions[2].text), ['/bin/echo', value]);
        assert.deepEqual(readExecForm(instructions.find((i) => i.origin[0] === 'command')!.text), [
          '/bin/sh',
          '-c',
          value,
        ]);
        assert.deepEqual(
          readExecForm(instructions.find((i) => i.origin[0] === 'entrypoint')!.text),
          [value],
        );
        assert.deepEqual(readExecForm(instructions.find((i) => i.origin[0] === 'health')!.text), [
          '/bin/sh',
          '-c',
          value,
        ]);
      });
      it(`in file paths (COPY expands its JSON strings): ${JSON.stringify(value)}`, () => {
        const path = `/srv/with space/${value}`;
        const { instructions } = generate({ files: [{ path, content: 'x' }] }, ['files/0']);
        const [source, dest] = readExecForm(instructions[1].text).map(readShellWord);
        assert.equal(source, 'files/0');
        assert.equal(dest, path);
      });
    }
    for (const value of NASTY) {
      it(`in env values: ${JSON.stringify(value)}`, () => {
        const { instructions } = generate({ env: { VALUE: value } });
        assert.deepEqual(readEnvLine(instructions[1].text), ['VALUE', value]);
      });
      it(`in workdir: ${JSON.stringify(value)}`, () => {
        const workdir = `/srv/${value}`;
        const { instructions } = generate({ workdir });
        assert.equal(readQuoted(instructions[1].text.replace(/^WORKDIR /, '')), workdir);
      });
    }
    for (const value of MULTILINE) {
      it(`refuses a line break in an env value, pointing at it: ${JSON.stringify(value)}`, () => {
        assert.throws(
          () => generateDockerfile({ ...BASE, env: { OK: 'fine', EVIL: value } }, []),
          (e: Error) =>
            e instanceof BuildPlanError &&
            JSON.stringify(e.path) === JSON.stringify(['env', 'EVIL']) &&
            /line break/.test(e.message),
        );
      });
      it(`refuses a line break in workdir: ${JSON.stringify(value)}`, () => {
        assert.throws(
          () => generateDockerfile({ ...BASE, workdir: `/srv/${value}` }, []),
          (e: Error) => e instanceof BuildPlanError && e.path?.[0] === 'workdir',
        );
      });
    }
    it('refuses an owner or user that is not a plain name or id', () => {
      assert.throws(
        () =>
          generateDockerfile(
            { ...BASE, files: [{ path: '/a', content: '', owner: 'root\nRUN id' }] },
            ['files/0'],
          ),
        (e: Error) => e instanceof BuildPlanError && e.path?.join('.') === 'files.0.owner',
      );
      assert.throws(
        () => generateDockerfile({ ...BASE, user: '0 \nRUN id' }, []),
        (e: Error) => e instanceof BuildPlanError && e.path?.join('.') === 'user',
      );
      assert.throws(
        () => generateDockerfile({ ...BASE, from: 'busybox\\' }, []),
        (e: Error) => e instanceof BuildPlanError && e.path?.join('.') === 'from',
      );
    });
    it('escapes every character the builder treats specially in a word', () => {
      assert.equal(shellWord(`a b\t$c'd"e\\f`), `a\\ b\\\t\\$c\\'d\\"e\\\\f`);
    });
  });
});
