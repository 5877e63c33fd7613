// No code path spawns a program with values from a master copy (issue 14, suite item 5):
// the engine is spoken to through its API, never through a `docker` or shell command line.
// This reads the source: a new child_process use, a shell, or an exec into a container
// other than the keeper's control script fails here until it is looked at and listed.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../support/repoRoot';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : name.endsWith('.ts') ? [p] : [];
  });
}

/** The source without comments (so that words in them are not taken for code). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const root = repoRoot();
const files = sources(join(root, 'src')).map((p) => ({
  path: relative(root, p),
  text: code(readFileSync(p, 'utf8')),
}));

/** Every use of child_process there may be: git, with an argument list, for the ledger's commit. */
const ALLOWED_CHILD_PROCESS: Record<string, string[]> = {
  'src/core/deploy/gitState.ts': ['execFile'],
};

describe('no command lines built from a master copy (source scan)', () => {
  it('reads the whole source tree', () => {
    assert.ok(files.length > 50, `${files.length} files`);
    assert.ok(files.some((f) => f.path === 'src/core/deploy/gitState.ts'));
  });

  it('child_process is used only where listed, and only the functions listed', () => {
    const found: Record<string, string[]> = {};
    for (const f of files) {
      if (!/['"](node:)?child_process['"]/.test(f.text)) continue;
      const imported = /import\s*\{([^}]*)\}\s*from\s*['"](?:node:)?child_process['"]/.exec(f.text);
      assert.ok(imported, `${f.path} uses child_process other than by a named import`);
      found[f.path] = imported[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .sort();
    }
    assert.deepEqual(found, ALLOWED_CHILD_PROCESS);
  });

  it('git is run with a fixed program and an argument list, never a shell', () => {
    const git = files.find((f) => f.path === 'src/core/deploy/gitState.ts')!.text;
    const calls = [...git.matchAll(/execFile\(\s*([^,]+),\s*([^,]+),/g)];
    assert.equal(calls.length, 1);
    assert.equal(calls[0][1].trim(), "'git'");
    assert.match(calls[0][2].trim(), /^\[/, 'the arguments are a list');
  });

  it('nothing asks for a shell, evaluates text as code, or loads a module by a computed name', () => {
    for (const f of files) {
      assert.ok(!/\bshell\s*:\s*(true|['"`])/.test(f.text), `${f.path}: a shell option`);
      assert.ok(
        !/\b(execSync|spawnSync|execFileSync|spawn|fork)\s*\(/.test(f.text),
        `${f.path}: a spawn`,
      );
      // (The engine client's own exec method, Docker's exec API with an argument list, is declared, not called, so.)
      const bareExec = f.text
        .split('\n')
        .filter((l) => !/^\s*(async\s+)?exec\s*\(/.test(l))
        .some((l) => /(^|[^.\w])exec\s*\(/.test(l));
      assert.ok(!bareExec, `${f.path}: exec() of a string`);
      assert.ok(!/\beval\s*\(|new\s+Function\s*\(/.test(f.text), `${f.path}: code from text`);
      // (Help texts name `docker …` commands in Markdown backticks, escaped in the template.)
      assert.ok(!/(?<!\\)['"`]docker\s/.test(f.text), `${f.path}: a docker command line`);
      for (const m of f.text.matchAll(/\brequire\(\s*([^)]*)\)/g))
        assert.ok(
          /^['"][^'"]+['"]$/.test(m[1].trim()) ||
            // the engine library, from the file beside the bundle (a fixed name)
            m[1].trim() === '`${__dirname}/dockerode.js`' ||
            (f.path === 'src/cli/codeCache.ts' && m[1].trim() === 'file'),
          `${f.path}: require(${m[1]})`,
        );
    }
  });

  it("an exec into a container is only the keeper's control script, with an argument list", () => {
    const uses = files.flatMap((f) =>
      [...f.text.matchAll(/\bengine\.exec\(([\s\S]*?)\n\s*\);/g)].map((m) => ({
        path: f.path,
        args: m[1],
      })),
    );
    assert.equal(uses.length, 1, JSON.stringify(uses));
    assert.equal(uses[0].path, 'src/core/keeper/keeperContainer.ts');
    assert.match(uses[0].args, /\['node', CONTROL_PATH, \.\.\.args\]/);
  });
});
