// Hostile input, generated: the Dockerfile generator and the build plan. Master copies are
// generated with hostile values (line breaks, backslashes at the end, `$`, quotes, JSON and
// Dockerfile syntax, controls, bidi, prototype keys) and written as YAML (block or flow);
// for every one that validates, the generated Dockerfile — read back the way the builder
// reads it (logical lines, continuations, comments) — has exactly the instructions the
// master copy implies, each value arriving as written: no value can add, split or end an
// instruction. Host paths (files[].source, dockerfile, secrets[].fromFile) that lead outside
// the folder, directly or through links, are refused before anything outside is looked at.
// Replay a run: MASTERCOPY_FC_SEED=N (the seed it printed; see hostile.ts).
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { commandArgs } from '../../../src/core/build/dockerfile';
import { BuildPlanError } from '../../../src/core/build/errors';
import { planBuild } from '../../../src/core/build/plan';
import { resolveSecrets } from '../../../src/core/copies/secrets';
import { normalizePort, type MasterCopy } from '../../../src/core/mastercopy/model';
import { validateText } from '../../../src/core/mastercopy/validator';
import { isOutside } from '../../../src/core/util/paths';
import { readEnvLine, readExecForm, readQuoted, readShellWord } from '../build/dockerfileWords';
import {
  fakeBuildFileSystem,
  fakeFileAccess,
  FOLDER,
  HOST_PATHS,
  leadsOutside,
  outsideTouches,
  type Touches,
} from './fakeFolder';
import { hostileString, runs, timed, timedAsync } from './hostile';

type Obj = Record<string, unknown>;

/** An object with these own keys, `__proto__` included (a literal would set the prototype). */
function own(entries: [string, unknown][]): Obj {
  const o: Obj = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** A value: mostly one line (so that many master copies validate), sometimes anything. */
const value = fc.oneof(
  { weight: 3, arbitrary: hostileString(6).map((s) => s.replace(/[\r\n\0]/g, '')) },
  { weight: 1, arbitrary: hostileString(6) },
);
const varName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'PATH', 'toString'),
);
const segment = hostileString(3).filter(
  (s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/'),
);
const imagePath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => '/' + s.join('/'));
const command = fc.oneof(
  value.filter((s) => s.length > 0),
  fc.array(hostileString(5), { minLength: 1, maxLength: 4 }),
);
const owner = fc.stringMatching(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,6}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,6})?$/,
);
const duration = fc.stringMatching(/^[1-9][0-9]{0,2}(ms|s|m|h)$/);
const entries = (maxLength: number) =>
  fc.uniqueArray(fc.tuple(varName, fc.oneof(value, fc.integer(), fc.boolean())), {
    maxLength,
    selector: ([k]) => k,
  });

/** A master copy with `from` and hostile values everywhere a value goes into the Dockerfile. */
const fromMasterCopy: fc.Arbitrary<Obj> = fc
  .record(
    {
      from: fc.constantFrom(
        'busybox:stable',
        'alpine:3.20',
        'registry.example.com:5000/a/b:1@sha256:abc',
      ),
      args: entries(3),
      env: entries(5),
      steps: fc.array(command, { maxLength: 3 }),
      files: fc.uniqueArray(
        fc.record(
          {
            path: imagePath,
            body: fc.oneof(
              hostileString(8).map((content) => ({ content })),
              fc.constantFrom(...HOST_PATHS.slice(0, 10)).map((source) => ({ source })),
            ),
            owner,
            mode: fc.constantFrom('0644', '0755', '600', '4755'),
          },
          { requiredKeys: ['path', 'body'] },
        ),
        { maxLength: 4, selector: (f) => f.path },
      ),
      user: owner,
      workdir: fc.oneof(imagePath, value),
      entrypoint: command,
      command,
      ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
      health: fc.record(
        { command, interval: duration, timeout: duration, retries: fc.nat(10) },
        { requiredKeys: ['command'] },
      ),
      labels: entries(3),
    },
    { requiredKeys: [] },
  )
  .map((g) => {
    const mc: Obj = { mastercopy: 1, name: 'hostile', version: '1.0.0', from: g.from };
    const build: [string, unknown][] = [];
    if (g.args?.length) build.push(['args', own(g.args)]);
    if (g.steps?.length) build.push(['steps', g.steps]);
    if (build.length) mc.build = own(build);
    if (g.files?.length)
      mc.files = g.files.map((f) =>
        own(
          Object.entries({ path: f.path, ...f.body, owner: f.owner, mode: f.mode }).filter(
            ([, v]) => v !== undefined,
          ),
        ),
      );
    for (const k of ['user', 'workdir', 'entrypoint', 'command', 'health'] as const)
      if (g[k] !== undefined) mc[k] = g[k];
    if (g.env?.length) mc.env = own(g.env);
    if (g.labels?.length) mc.labels = own(g.labels);
    if (g.ports?.length) mc.ports = g.ports;
    return mc;
  });

/** YAML for it: the yaml library's block style, or JSON (which is YAML too). */
const asYaml = (mc: Obj, json: boolean) => (json ? JSON.stringify(mc, null, 1) : stringify(mc));

interface Instruction {
  keyword: string;
  text: string;
}

/**
 * The Dockerfile's instructions as the builder reads them (moby's parser): lines split at
 * `\n` (a trailing `\r` dropped), blank lines and `#` comments skipped, a line ending in
 * the escape character (optionally followed by blanks) continued on the next one.
 */
function readDockerfile(text: string): { instructions: Instruction[]; physical: number } {
  const instructions: Instruction[] = [];
  let pending: string | undefined;
  let physical = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^[ \t]*$/.test(line) || /^[ \t]*#/.test(line)) continue;
    physical++;
    pending = pending === undefined ? line : pending + line;
    if (/\\[ \t]*$/.test(pending)) {
      pending = pending.replace(/\\[ \t]*$/, '');
      continue;
    }
    instructions.push({ keyword: /^[ \t]*(\S+)/.exec(pending)![1].toUpperCase(), text: pending });
    pending = undefined;
  }
  if (pending !== undefined)
    instructions.push({ keyword: /^[ \t]*(\S+)/.exec(pending)![1].toUpperCase(), text: pending });
  return { instructions, physical };
}

/** What the master copy implies, instruction by instruction: keyword and the values it carries. */
function expectedInstructions(
  mc: MasterCopy,
): { keyword: string; check: (line: string) => void }[] {
  const out: { keyword: string; check: (line: string) => void }[] = [];
  const rest = (line: string, keyword: string) => {
    assert.ok(line.startsWith(keyword + ' '), `${JSON.stringify(line)} starts with ${keyword}`);
    return line.slice(keyword.length + 1);
  };
  out.push({ keyword: 'FROM', check: (l) => assert.equal(rest(l, 'FROM'), mc.from) });
  for (const name of Object.keys(mc.build?.args ?? {}))
    out.push({ keyword: 'ARG', check: (l) => assert.equal(rest(l, 'ARG'), name) });
  for (const [name, v] of Object.entries(mc.env ?? {}))
    out.push({ keyword: 'ENV', check: (l) => assert.deepEqual(readEnvLine(l), [name, String(v)]) });
  for (const step of mc.build?.steps ?? [])
    out.push({
      keyword: 'RUN',
      check: (l) => assert.deepEqual(readExecForm(l), commandArgs(step)),
    });
  (mc.files ?? []).forEach((f, i) =>
    out.push({
      keyword: 'COPY',
      check: (l) => {
        if (f.owner !== undefined) assert.ok(l.startsWith(`COPY --chown=${f.owner} [`), l);
        assert.deepEqual(readExecForm(l).map(readShellWord), [`files/${i}`, f.path]);
      },
    }),
  );
  for (const p of mc.ports ?? []) {
    const { port, protocol } = normalizePort(p);
    out.push({ keyword: 'EXPOSE', check: (l) => assert.equal(l, `EXPOSE ${port}/${protocol}`) });
  }
  const health = mc.health;
  if (health?.command !== undefined)
    out.push({
      keyword: 'HEALTHCHECK',
      check: (l) => assert.deepEqual(readExecForm(l), commandArgs(health.command!)),
    });
  if (mc.workdir !== undefined)
    out.push({
      keyword: 'WORKDIR',
      check: (l) => assert.equal(readQuoted(rest(l, 'WORKDIR')), mc.workdir),
    });
  if (mc.user !== undefined)
    out.push({ keyword: 'USER', check: (l) => assert.equal(rest(l, 'USER'), mc.user) });
  if (mc.entrypoint !== undefined)
    out.push({
      keyword: 'ENTRYPOINT',
      check: (l) => assert.deepEqual(readExecForm(l), commandArgs(mc.entrypoint!)),
    });
  if (mc.command !== undefined)
    out.push({
      keyword: 'CMD',
      check: (l) => assert.deepEqual(readExecForm(l), commandArgs(mc.command!)),
    });
  return out;
}

describe('hostile input: the Dockerfile generator and host paths', function () {
  this.timeout(120_000);
  const validated = { yes: 0, all: 0 };
  after(() => {
    console.log(
      `      hostile input: ${validated.yes} of ${validated.all} generated master copies validated and were planned`,
    );
  });

  it('every master copy that validates gets exactly the instructions it implies, each value as written', async () => {
    await fc.assert(
      fc.asyncProperty(fromMasterCopy, fc.boolean(), async (generated, json) => {
        const text = asYaml(generated, json);
        const touched: Touches[] = [];
        const r = timed('validateText', () =>
          validateText(text, { path: `${FOLDER}/x.mastercopy.yaml` }, fakeFileAccess(touched)),
        );
        validated.all++;
        if (!r.masterCopy) return;
        validated.yes++;
        const mc = r.masterCopy;
        const plan = await timedAsync('planBuild', () =>
          planBuild(mc, FOLDER, fakeBuildFileSystem(touched)),
        );
        const dockerfile = plan.dockerfileText!;
        const { instructions, physical } = readDockerfile(dockerfile);
        // One instruction, one physical line: nothing was continued, commented out or blank.
        assert.equal(physical, dockerfile.split('\n').length - 1, 'every line is an instruction');
        assert.equal(instructions.length, physical, 'no line continues another');
        assert.deepEqual(
          instructions.map((i) => i.text),
          plan.instructions.map((i) => i.text),
          'the builder reads the instructions the plan made',
        );
        const expected = expectedInstructions(mc);
        assert.deepEqual(
          instructions.map((i) => i.keyword),
          expected.map((e) => e.keyword),
          'one FROM, then ARG, ENV, RUN, COPY, EXPOSE, HEALTHCHECK, WORKDIR, USER, ENTRYPOINT, CMD as the master copy says',
        );
        instructions.forEach((ins, i) => expected[i].check(ins.text));
        // Labels and secrets never appear in the Dockerfile (labels go through the build API).
        assert.ok(!instructions.some((i) => i.keyword === 'LABEL'));
        assert.deepEqual(outsideTouches(touched), []);
      }),
      runs(300),
    );
    assert.ok(
      validated.yes >= validated.all / 5,
      `only ${validated.yes} of ${validated.all} validated: the property is nearly vacuous`,
    );
  });

  const hostPathsCopy = fc.record(
    {
      sources: fc.array(fc.constantFrom(...HOST_PATHS), { maxLength: 3 }),
      dockerfile: fc.constantFrom(...HOST_PATHS),
      useDockerfile: fc.boolean(),
      secrets: fc.array(fc.constantFrom(...HOST_PATHS), { maxLength: 2 }),
    },
    { requiredKeys: ['sources', 'dockerfile', 'useDockerfile', 'secrets'] },
  );
  type HostPathsCopy = {
    sources: string[];
    dockerfile: string;
    useDockerfile: boolean;
    secrets: string[];
  };
  const toMasterCopy = (g: HostPathsCopy): MasterCopy => ({
    mastercopy: 1,
    name: 'paths',
    version: '1.0.0',
    ...(g.useDockerfile
      ? { dockerfile: g.dockerfile }
      : {
          from: 'busybox:stable',
          files: g.sources.map((source, i) => ({ path: `/f${i}`, source })),
        }),
    secrets: g.secrets.map((fromFile, i) => ({ name: `S${i}`, fromFile })),
  });

  it('validation refuses every host path that leads outside the folder, and looks at nothing there', () => {
    fc.assert(
      fc.property(hostPathsCopy, (g) => {
        const mc = toMasterCopy(g);
        const touched: Touches[] = [];
        const r = validateText(
          JSON.stringify(mc),
          { path: `${FOLDER}/x.mastercopy.yaml` },
          fakeFileAccess(touched),
        );
        const named = [
          ...(mc.files ?? []).map((f) => f.source!),
          ...(mc.dockerfile ? [mc.dockerfile] : []),
        ];
        const outside = [...named, ...mc.secrets!.map((s) => s.fromFile!)].filter(leadsOutside);
        if (outside.length) {
          assert.equal(r.masterCopy, undefined, `${outside.join(', ')} lead outside`);
          assert.ok(r.diagnostics.some((d) => d.code === 'path-escape' && d.severity === 'error'));
        }
        assert.deepEqual(outsideTouches(touched), []);
      }),
      runs(200),
    );
  });

  it('the build plan refuses every source and Dockerfile that leads outside, before reading anything there', async () => {
    await fc.assert(
      fc.asyncProperty(hostPathsCopy, async (g) => {
        // Straight to the plan, without validation: its own checks must hold.
        const mc = toMasterCopy(g);
        const touched: Touches[] = [];
        const named = mc.dockerfile ? [mc.dockerfile] : (mc.files ?? []).map((f) => f.source!);
        let error: unknown;
        try {
          await planBuild(mc, FOLDER, fakeBuildFileSystem(touched));
        } catch (e) {
          error = e;
        }
        if (named.some(leadsOutside))
          assert.ok(
            error instanceof BuildPlanError,
            `refused: ${named.join(', ')} (${String(error)})`,
          );
        assert.deepEqual(
          outsideTouches(touched),
          [],
          'nothing outside the folder was looked at or read',
        );
      }),
      runs(200),
    );
  });

  describe('secret files, on a real disk', () => {
    let root: string;
    let folder: string;
    before(() => {
      root = realpathSync(mkdtempSync(join(tmpdir(), 'mc-hostile-secrets-')));
      folder = join(root, 'mc');
      mkdirSync(folder);
      mkdirSync(join(root, 'outside'));
      writeFileSync(join(root, 'outside', 'secret.txt'), 'outside');
      writeFileSync(join(folder, 'token.txt'), 'inside');
      writeFileSync(join(folder, '..hidden'), 'inside too');
      symlinkSync(join(root, 'outside', 'secret.txt'), join(folder, 'link-out'));
      symlinkSync('../outside/secret.txt', join(folder, 'link-rel-out'));
      symlinkSync(join(root, 'outside'), join(folder, 'link-dir-out'));
      symlinkSync('token.txt', join(folder, 'link-in'));
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it('resolveSecrets never reads a secret file that leads outside the folder', async () => {
      const names = [
        'token.txt',
        './token.txt',
        '..hidden',
        'link-in',
        'missing',
        'link-out',
        'link-rel-out',
        'link-dir-out/secret.txt',
        '../outside/secret.txt',
        'link-dir-out/../mc/token.txt',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }),
          async (files) => {
            const read: string[] = [];
            const mc: MasterCopy = {
              mastercopy: 1,
              name: 'secrets',
              version: '1.0.0',
              from: 'busybox:stable',
              secrets: files.map((fromFile, i) => ({ name: `S${i}`, fromFile })),
            };
            await resolveSecrets(mc, folder, {}, (path) => {
              read.push(path);
              return 'value';
            }).catch(() => undefined);
            for (const path of read)
              assert.ok(
                !isOutside(folder, realpathSync(path)),
                `${path} (${realpathSync(path)}) was read`,
              );
          },
        ),
        runs(100),
      );
    });
  });
});
