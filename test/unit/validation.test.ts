import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileAccess } from '../../src/core/mastercopy/fileAccess';
import { validateText } from '../../src/core/mastercopy/validator';
import { dedent, unmark } from '../support/marked';

const HEAD = 'mastercopy: 1\nname: demo\nversion: "1.0.0"\nfrom: busybox:stable\n';

function problems(text: string, path?: string) {
  return validateText(text, { path }, nodeFileAccess).diagnostics;
}

/**
 * The marked text must give exactly one problem, at exactly the marked range,
 * whose message matches.
 */
function expectOne(
  marked: string,
  message: RegExp,
  { severity = 'error', path }: { severity?: string; path?: string } = {},
) {
  const { text, ranges } = unmark(dedent(marked));
  assert.equal(ranges.length, 1, 'test text must mark one range');
  const ds = problems(text, path);
  assert.equal(
    ds.length,
    1,
    `expected one problem, got:\n${ds.map((d) => `${d.range.start}-${d.range.end} ${d.message}`).join('\n')}`,
  );
  const [d] = ds;
  assert.match(d.message, message);
  assert.equal(d.severity, severity);
  assert.deepEqual(
    d.range,
    ranges[0],
    `range of "${d.message}" is [${text.slice(d.range.start, d.range.end)}], expected [${text.slice(ranges[0].start, ranges[0].end)}]`,
  );
}

function expectNone(text: string, path?: string) {
  const ds = problems(dedent(text), path);
  assert.deepEqual(
    ds.map((d) => d.message),
    [],
  );
}

describe('validation', () => {
  describe('a whole file', () => {
    it('accepts a minimal master copy', () => expectNone(HEAD));
    it('accepts every section of the format at once', () => {
      expectNone(`
        mastercopy: 1
        name: transaction-service
        version: "1.4.0"
        description: Card transactions API
        owners: [devs, ops]
        from: busybox:stable
        build:
          args: { CURRENCY: EUR, RETRIES: 3, DEBUG: false }
          steps:
            - mkdir -p /srv/data
            - ["/bin/sh", "-c", "echo hi"]
        files:
          - path: /etc/transactions/config.yaml
            content: |
              currency: EUR
            mode: "0644"
        env: { LOG_LEVEL: info, WORKERS: 4 }
        user: "1000"
        workdir: /srv/www
        command: ["/bin/httpd", "-f", "-p", "8080"]
        entrypoint: ["/bin/sh", "-c"]
        ports:
          - 8080
          - { port: 5353, protocol: udp }
        health:
          http: { port: 8080, path: /health }
          interval: 2s
          timeout: 500ms
          retries: 3
          startPeriod: 1m
        copies: 2
        runtime:
          readOnly: true
          tmpfs: [/tmp]
          capabilities: { drop: [ALL], add: [] }
          noNewPrivileges: true
          memory: 256m
          cpus: 0.5
          restart: on-failure
        volumes:
          - { name: data, path: /var/lib/transactions }
        secrets:
          - { name: DB_PASSWORD, fromEnv: DB_PASSWORD }
        labels: { team: payments }
        gateway: { port: 18080, target: 8080 }
      `);
    });
    it('says an empty file is empty', () => {
      const ds = problems('');
      assert.equal(ds.length, 1);
      assert.match(ds[0].message, /empty/);
      assert.deepEqual(ds[0].range, { start: 0, end: 0 });
    });
    it('says a file of only comments is empty', () =>
      assert.match(problems('# nothing yet\n')[0].message, /empty/));
    it('says a list is not a mapping, on the list', () =>
      expectOne('«- a»\n- b\n', /must be a YAML mapping.*not a list/));
    it('says a scalar is not a mapping', () =>
      expectOne('«hello»\n', /must be a YAML mapping.*not a single string/));
    it('lists the missing required properties at the first key', () => {
      const { text, ranges } = unmark('«mastercopy»: 1\nfrom: busybox\n');
      const ds = problems(text);
      assert.deepEqual(ds.map((d) => d.message).sort(), [
        'Missing required property `name`: every master copy needs a `name`.',
        'Missing required property `version`: every master copy needs a `version`.',
      ]);
      for (const d of ds) assert.deepEqual(d.range, ranges[0]);
    });
  });

  describe('YAML syntax', () => {
    it('reports a duplicate key at the second key', () =>
      expectOne(HEAD + 'copies: 1\n«copies»: 2\n', /Duplicate key/));
    it('reports a duplicate nested key', () =>
      expectOne(HEAD + 'env:\n  A: 1\n  «A»: 2\n', /Duplicate key/));
    it('reports tabs used for indentation', () => {
      const ds = problems(HEAD + 'env:\n\tA: 1\n');
      assert.ok(ds.length >= 1);
      assert.ok(ds.every((d) => d.code === 'yaml-syntax'));
      assert.match(ds.map((d) => d.message).join('\n'), /[Tt]ab/);
    });
    it('reports an unclosed flow sequence', () => {
      const ds = problems(HEAD + 'ports: [8080\n');
      assert.ok(
        ds.length >= 1 && ds.every((d) => d.code === 'yaml-syntax' && d.severity === 'error'),
      );
      assert.ok(ds[0].range.start >= HEAD.length, 'the error is not placed at the top of the file');
    });
    it('reports an unclosed quote', () => {
      const ds = problems(HEAD + 'description: "oops\n');
      assert.ok(ds.length >= 1 && ds.every((d) => d.code === 'yaml-syntax'));
    });
    it('reports a second document', () =>
      expectOne(HEAD + '«---»\nname: x\n', /exactly one YAML document/));
    it('never throws on arbitrary bytes', () => {
      let seed = 42;
      const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const alphabet = 'ab:- \n\t{}[]"\'#&*!|>%@`,?0123456789\u0000\uFFFD';
      for (let n = 0; n < 300; n++) {
        let s = '';
        const len = Math.floor(rnd() * 200);
        for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
        const ds = problems(s);
        for (const d of ds)
          assert.ok(
            d.range.start <= d.range.end && d.range.end <= s.length + 1,
            `range inside the text for ${JSON.stringify(s)}`,
          );
      }
    });
  });

  describe('schema', () => {
    it('rejects an unknown top-level key and suggests the right one', () =>
      expectOne(HEAD + '«prots»: [8080]\n', /Unknown property `prots`.*Did you mean `ports`\?/));
    it('rejects an unknown nested key', () =>
      expectOne(
        HEAD + 'runtime:\n  «readonly»: true\n',
        /Unknown property `readonly` in `runtime`.*Did you mean `readOnly`/,
      ));
    it('lists what is allowed when nothing is close', () =>
      expectOne(HEAD + '«zzzzzz»: 1\n', /Allowed: mastercopy, name, version/));
    it('wants mastercopy to be 1', () =>
      expectOne('mastercopy: «2»\nname: demo\nversion: "1"\nfrom: x\n', /must be 1/));
    it('checks the name is a DNS label', () =>
      expectOne('mastercopy: 1\nname: «Demo_App»\nversion: "1"\nfrom: x\n', /lowercase DNS label/));
    it('checks the name length', () =>
      expectOne(
        `mastercopy: 1\nname: «${'a'.repeat(64)}»\nversion: "1"\nfrom: x\n`,
        /at most 63 characters/,
      ));
    it('tells to quote a numeric version', () =>
      expectOne(
        'mastercopy: 1\nname: demo\nversion: «1.4»\nfrom: x\n',
        /must be a string, not the number 1.4\. Quote it: "1.4"/,
      ));
    it('checks the version charset', () =>
      expectOne(
        'mastercopy: 1\nname: demo\nversion: «".hidden"»\nfrom: x\n',
        /not start with '\.' or '-'/,
      ));
    it('checks copies is at least 1', () =>
      expectOne(HEAD + 'copies: «0»\n', /`copies` must be at least 1 \(1–1000\); it is 0/));
    it('checks copies is at most 1000', () => expectOne(HEAD + 'copies: «1001»\n', /at most 1000/));
    it('checks copies is a whole number', () =>
      expectOne(HEAD + 'copies: «2.5»\n', /must be a whole number/));
    it('checks a port is in range', () =>
      expectOne(HEAD + 'ports: [8080, «70000»]\n', /`ports\[1\]` must be at most 65535/));
    it('says a quoted port is the wrong type, once', () =>
      expectOne(
        HEAD + 'ports:\n  - «"8080"»\n',
        /`ports\[0\]` must be a whole number or a mapping, not the string "8080"/,
      ));
    it('checks the protocol', () =>
      expectOne(
        HEAD + 'ports:\n  - { port: 53, protocol: «sctp» }\n',
        /must be one of: "tcp", "udp"/,
      ));
    it('checks an unknown key inside a port', () =>
      expectOne(
        HEAD + 'ports:\n  - { port: 53, «protocl»: udp }\n',
        /Unknown property `protocl` in `ports\[0\]`. Did you mean `protocol`/,
      ));
    it('wants env values to be scalars', () =>
      expectOne(
        HEAD + 'env:\n  «NESTED»:\n    a: 1\n',
        /`env.NESTED` must be a string, a number or a boolean/,
      ));
    it('wants env values to be present', () =>
      expectOne(HEAD + 'env:\n  «EMPTY»:\n', /`env.EMPTY` must be.*not empty/));
    it('wants label values to be scalars', () =>
      expectOne(HEAD + 'labels:\n  team: «[a, b]»\n', /`labels.team` must be .*not a list/));
    it('wants build args to be scalars', () =>
      expectOne(HEAD + 'build:\n  args:\n    A: «[1]»\n', /`build.args.A` must be/));
    it('checks env names', () =>
      expectOne(HEAD + 'env:\n  «1BAD»: x\n', /`1BAD` is not a valid variable name/));
    it('needs exactly one of content or source: neither', () =>
      expectOne(HEAD + 'files:\n  - «path: /a»\n', /exactly one of `content` or `source`/));
    it('needs exactly one of content or source: both', () =>
      expectOne(
        HEAD + 'files:\n  - «path: /a»\n    content: x\n    source: ./x\n',
        /only one of `content` or `source`, not both/,
      ));
    it('needs a path for each file', () =>
      expectOne(
        HEAD + 'files:\n  - «content: x»\n',
        /`files\[0\]` is missing the required property `path`/,
      ));
    it('checks file modes are octal strings', () =>
      expectOne(
        HEAD + 'files:\n  - path: /a\n    content: x\n    mode: «"0999"»\n',
        /octal permission bits/,
      ));
    it('checks the mode is a string', () =>
      expectOne(
        HEAD + 'files:\n  - path: /a\n    content: x\n    mode: «644»\n',
        /must be a string, not the whole number 644\. Quote it/,
      ));
    it('checks durations', () =>
      expectOne(
        HEAD + 'ports: [80]\nhealth:\n  http: { port: 80 }\n  interval: «2 seconds»\n',
        /must be a duration/,
      ));
    it('checks memory', () => expectOne(HEAD + 'runtime:\n  memory: «256MB»\n', /number of bytes/));
    it('checks the restart policy', () =>
      expectOne(
        HEAD + 'runtime:\n  restart: «sometimes»\n',
        /must be one of: "no", "on-failure", "always", "unless-stopped"/,
      ));
    it('checks booleans', () =>
      expectOne(HEAD + 'runtime:\n  readOnly: «yes»\n', /must be a boolean/));
    it('checks capabilities', () =>
      expectOne(
        HEAD + 'runtime:\n  capabilities:\n    add: [«net_admin»]\n',
        /capability name in capitals/,
      ));
    it('puts a wrong collection type on its key', () =>
      expectOne(HEAD + '«files»:\n  path: /a\n', /`files` must be a list, not a mapping/));
    it('needs a secret source', () =>
      expectOne(HEAD + 'secrets:\n  - «name: A»\n', /exactly one of `fromEnv` or `fromFile`/));
    it('needs gateway port and target', () =>
      expectOne(
        HEAD + 'ports: [80]\n«gateway»: { port: 18080 }\n',
        /`gateway` is missing the required property `target`/,
      ));
    it('checks the health path', () =>
      expectOne(
        HEAD + 'ports: [80]\nhealth:\n  http: { port: 80, path: «health» }\n',
        /must be a request path like \/health or \/status\?full=1: starting with '\/'/,
      ));
    it('refuses every health path an HTTP probe cannot send, and accepts origin-form targets', () => {
      const text = (path: string) =>
        HEAD + `ports: [80]\nhealth:\n  http: { port: 80, path: ${JSON.stringify(path)} }\n`;
      for (const bad of [
        '/a b',
        '/a\tb',
        '/ü',
        '/é',
        '/日本',
        '/x"y',
        '/{x}',
        '/a#frag',
        '/a\\b',
        '/%zz',
        '/%2',
        '/a\nb',
        '/\u0000',
        `/${'a'.repeat(1024)}`,
      ]) {
        const ds = problems(text(bad));
        assert.equal(
          ds.length,
          1,
          `${JSON.stringify(bad)}: ${ds.map((d) => d.message).join('; ')}`,
        );
        assert.match(
          ds[0].message,
          /^`health\.http\.path` must (be a request path|be at most 1024)/,
          JSON.stringify(bad),
        );
      }
      for (const good of [
        '/',
        '/health',
        '/status?full=1&x=%2F',
        '//x',
        "/a;b=c/d:e@f!$&'()*+,",
        '/?',
        '/q?a/b?c',
        '/%C3%A9',
      ])
        expectNone(text(good));
    });
    it('rejects an empty command list', () =>
      expectOne(HEAD + 'command: «[]»\n', /`command` must/));
  });

  describe('semantic rules', () => {
    it('needs a base', () =>
      expectOne('«mastercopy»: 1\nname: demo\nversion: "1"\n', /needs a base: add `from: IMAGE`/));
    it('refuses both from and dockerfile, at dockerfile', () =>
      expectOne(HEAD + '«dockerfile»: ./Dockerfile\n', /either `from` or `dockerfile`, not both/));
    it('allows build only with from', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
      expectOne(
        'mastercopy: 1\nname: demo\nversion: "1"\ndockerfile: ./Dockerfile\n«build»:\n  steps: [ls]\n',
        /`build` only works with `from`/,
        { path: join(dir, 'a.mastercopy.yaml') },
      );
    });
    it('allows files only with from', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
      expectOne(
        'mastercopy: 1\nname: demo\nversion: "1"\ndockerfile: ./Dockerfile\n«files»:\n  - { path: /a, content: x }\n',
        /`files` only works with `from`/,
        { path: join(dir, 'a.mastercopy.yaml') },
      );
    });
    it('refuses a source that climbs out with ..', () =>
      expectOne(
        HEAD + 'files:\n  - path: /a\n    source: «../secret.txt»\n',
        /leads outside the master copy's folder/,
      ));
    it('refuses a source that climbs out in the middle', () =>
      expectOne(HEAD + 'files:\n  - path: /a\n    source: «www/../../x»\n', /leads outside/));
    it('refuses an absolute host source', () =>
      expectOne(
        HEAD + 'files:\n  - path: /a\n    source: «/etc/passwd»\n',
        /absolute host paths are not allowed/,
      ));
    it('refuses a home-relative source', () =>
      expectOne(
        HEAD + 'files:\n  - path: /a\n    source: «~/.ssh/id_rsa»\n',
        /absolute host paths are not allowed/,
      ));
    it('refuses a Dockerfile outside the folder', () =>
      expectOne(
        'mastercopy: 1\nname: demo\nversion: "1"\ndockerfile: «../Dockerfile»\n',
        /leads outside/,
      ));
    it('refuses a symbolic link that leads out', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      const outside = mkdtempSync(join(tmpdir(), 'mc-out-'));
      writeFileSync(join(outside, 'secret'), 'x');
      symlinkSync(outside, join(dir, 'link'));
      expectOne(
        HEAD + 'files:\n  - path: /a\n    source: «./link/secret»\n',
        /symbolic link that leads outside/,
        { path: join(dir, 'a.mastercopy.yaml') },
      );
    });
    it('accepts a symbolic link that stays inside', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      mkdirSync(join(dir, 'real'));
      writeFileSync(join(dir, 'real', 'f'), 'x');
      symlinkSync(join(dir, 'real'), join(dir, 'link'));
      expectNone(
        HEAD + 'files:\n  - path: /a\n    source: ./link/f\n',
        join(dir, 'a.mastercopy.yaml'),
      );
    });
    it('reports a source that does not exist', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      expectOne(HEAD + 'files:\n  - path: /a\n    source: «./www»\n', /\.\/www does not exist/, {
        path: join(dir, 'a.mastercopy.yaml'),
      });
    });
    it('refuses a source, a dockerfile or a secret file that is a FIFO: it is never read', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      const path = join(dir, 'a.mastercopy.yaml');
      expectOne(
        HEAD + 'files:\n  - path: /a\n    source: «./pipe»\n',
        /`files\[0\]\.source` \(\.\/pipe\) is a FIFO \(named pipe\); it must be a regular file or a folder/,
        { path },
      );
      expectOne(
        HEAD.replace('from: busybox:stable\n', 'dockerfile: «./pipe»\n'),
        /`dockerfile` \(\.\/pipe\) is a FIFO \(named pipe\); it must be a regular file/,
        { path },
      );
      expectOne(
        HEAD + 'secrets:\n  - name: A\n    fromFile: «./pipe»\n',
        /`secrets\[0\]\.fromFile` \(\.\/pipe\) is a FIFO/,
        { severity: 'warning', path },
      );
      expectOne(
        HEAD.replace('from: busybox:stable\n', 'dockerfile: «.»\n'),
        /`dockerfile` \(\.\) is a folder; it must be a regular file/,
        { path },
      );
    });
    it('warns when a secret file is missing', () => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-'));
      expectOne(HEAD + 'secrets:\n  - name: A\n    fromFile: «./secrets/a»\n', /does not exist/, {
        severity: 'warning',
        path: join(dir, 'a.mastercopy.yaml'),
      });
    });
    it('wants image paths absolute', () =>
      expectOne(
        HEAD + 'files:\n  - path: «etc/app.conf»\n    content: x\n',
        /absolute path inside the image, like \/etc\/app.conf/,
      ));
    it('wants image paths normalised', () =>
      expectOne(HEAD + 'workdir: «/srv/./www/»\n', /not a normalised path: write \/srv\/www/));
    it('wants volume paths absolute', () =>
      expectOne(
        HEAD + 'volumes:\n  - { name: data, path: «data» }\n',
        /`volumes\[0\].path` must be an absolute path/,
      ));
    it('wants tmpfs paths absolute', () =>
      expectOne(
        HEAD + 'runtime:\n  tmpfs: [/tmp, «run»]\n',
        /`runtime.tmpfs\[1\]` must be an absolute path/,
      ));
    it('refuses two files with one path', () =>
      expectOne(
        HEAD + 'files:\n  - { path: /a, content: x }\n  - { path: «/a», content: y }\n',
        /Two files have the path \/a: files\[0\] already writes it/,
      ));
    it('refuses a port listed twice', () =>
      expectOne(
        HEAD + 'ports:\n  - 8080\n  - «{ port: 8080, protocol: tcp }»\n',
        /Port 8080\/tcp is listed twice/,
      ));
    it('allows the same number for tcp and udp', () =>
      expectNone(HEAD + 'ports:\n  - 53\n  - { port: 53, protocol: udp }\n'));
    it('wants the health port among the ports', () =>
      expectOne(
        HEAD + 'ports: [8080]\nhealth:\n  http: { port: «9090» }\n',
        /probes port 9090, which is not among `ports` \(8080\)/,
      ));
    it('wants the gateway target among the ports', () =>
      expectOne(
        HEAD + 'ports: [8080]\ngateway: { port: 18080, target: «8081» }\n',
        /forwards to port 8081, which is not among `ports`/,
      ));
    it('does not count a udp port as an HTTP target', () =>
      expectOne(
        HEAD + 'ports: [{ port: 53, protocol: udp }]\ngateway: { port: 18080, target: «53» }\n',
        /not among `ports` \(none\)/,
      ));
    const GW = 'ports: [8080]\ngateway: { port: 18080, target: 8080 }\n';
    it('takes an autoscale section with a gateway and a target', () =>
      expectNone(
        HEAD +
          GW +
          'autoscale: { min: 1, max: 5, inflight: 10, cpu: 70, cooldown: 30s, dryRun: true }\n',
      ));
    it('wants autoscale min at most max', () =>
      expectOne(
        HEAD + GW + 'autoscale: { min: «6», max: 5, inflight: 10 }\n',
        /`autoscale.min` \(6\) is more than `max` \(5\)/,
      ));
    it('wants autoscale max at most 1000', () =>
      expectOne(
        HEAD + GW + 'autoscale: { min: 1, max: «1001», inflight: 10 }\n',
        /`autoscale.max` must be at most 1000/,
      ));
    it('wants an autoscale target', () =>
      expectOne(
        HEAD + GW + '«autoscale»: { min: 1, max: 5 }\n',
        /needs a target to scale on: `inflight`.*or `cpu`/,
      ));
    it('wants a gateway for autoscale', () =>
      expectOne(
        HEAD + 'ports: [8080]\n«autoscale»: { min: 1, max: 5, inflight: 10 }\n',
        /Autoscaling needs a `gateway`/,
      ));
    it('wants an autoscale cooldown as a duration', () =>
      expectOne(
        HEAD + GW + 'autoscale: { min: 1, max: 5, inflight: 10, cooldown: «soon» }\n',
        /must be a duration/,
      ));
    it('wants autoscale min and max', () =>
      expectOne(
        HEAD + GW + '«autoscale»: { max: 5, inflight: 10 }\n',
        /`autoscale` is missing the required property `min`/,
      ));
    it('needs http or command in health', () =>
      expectOne(HEAD + '«health»:\n  interval: 2s\n', /needs `http`.*or `command`/));
    it('refuses http and command together', () =>
      expectOne(
        HEAD + 'ports: [80]\nhealth:\n  http: { port: 80 }\n  «command»: [/bin/true]\n',
        /either `http` or `command`, not both/,
      ));
    it('refuses a secret set in env', () =>
      expectOne(
        HEAD +
          'env:\n  «DB_PASSWORD»: hunter2\nsecrets:\n  - { name: DB_PASSWORD, fromEnv: DB_PASSWORD }\n',
        /`DB_PASSWORD` is a secret: it must not also be set in `env`/,
      ));
    it('refuses a secret set as a label', () =>
      expectOne(
        HEAD + 'labels:\n  «TOKEN»: x\nsecrets:\n  - { name: TOKEN, fromEnv: T }\n',
        /must not also be set in `labels`/,
      ));
    it('refuses a secret set as a build arg', () =>
      expectOne(
        HEAD + 'build:\n  args:\n    «TOKEN»: x\nsecrets:\n  - { name: TOKEN, fromEnv: T }\n',
        /must not also be set in `build.args`/,
      ));
    for (const key of ['DB_PASSWORD', 'GITHUB_TOKEN', 'CLIENT_SECRET', 'API_KEY', 'SIGNING_KEY']) {
      it(`warns that env ${key} looks like a secret`, () =>
        expectOne(HEAD + `env:\n  «${key}»: x\n`, /looks like a secret.*move it to `secrets`/, {
          severity: 'warning',
        }));
    }
    it('does not warn for a harmless env key', () =>
      expectNone(HEAD + 'env:\n  KEYBOARD_LAYOUT: us\n  MONKEY: x\n'));
    it('refuses reserved label keys', () =>
      expectOne(HEAD + 'labels:\n  «io.mastercopy.name»: x\n', /reserved/));
    it('refuses duplicate secrets', () =>
      expectOne(
        HEAD + 'secrets:\n  - { name: A, fromEnv: A }\n  - { name: «A», fromEnv: B }\n',
        /Secret `A` is listed twice/,
      ));
    it('refuses duplicate volume names', () =>
      expectOne(
        HEAD + 'volumes:\n  - { name: d, path: /a }\n  - { name: «d», path: /b }\n',
        /Volume `d` is listed twice/,
      ));
  });

  describe('the examples', () => {
    for (const name of ['transaction-service', 'rabbitmq']) {
      it(`${name} validates clean`, () => {
        const path = join(__dirname, '..', '..', '..', 'examples', name, `${name}.mastercopy.yaml`);
        const text = require('node:fs').readFileSync(path, 'utf8');
        assert.deepEqual(problems(text, path), []);
      });
    }
  });
});
