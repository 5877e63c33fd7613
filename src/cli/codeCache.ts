// Loads a CommonJS file through a V8 code cache kept on disk. Every `mastercopy` call
// starts a fresh Node, and compiling the 0.9 MB CLI bundle is ~60 ms of that start; with
// the cache it is a few ms. Node ≥ 22.1 has this built in (module.enableCompileCache),
// Node 20 does not: there the file is compiled with vm.Script and V8's cachedData.
// The cache is only ever a shortcut: any problem with it means compiling as usual.
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

export interface CodeCacheResult {
  exports: unknown;
  /** 'hit': compiled from the cache; 'miss': compiled, cache written at exit; 'off': no cache used; 'builtin': Node's own compile cache. */
  cache: 'hit' | 'miss' | 'off' | 'builtin';
}

/** Where the cache lives: MASTERCOPY_CACHE_DIR ("off" for none), else the XDG cache folder. */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env.MASTERCOPY_CACHE_DIR;
  if (explicit === 'off') return undefined;
  if (explicit) return explicit;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mastercopy');
}

type ModuleInternals = typeof Module & {
  enableCompileCache?: (dir?: string) => unknown;
  wrap(source: string): string;
  _nodeModulePaths(dir: string): string[];
};

/**
 * Requires `file` (as `require` would) compiling it with a code cache
 * from `cacheDir`. `writeAt` registers the writing of a new cache (default: at process exit,
 * so that the functions this run compiled are in it).
 */
export function requireWithCodeCache(
  file: string,
  cacheDir: string | undefined,
  writeAt: (write: () => void) => void = (write) => process.once('exit', write),
): CodeCacheResult {
  const M = Module as ModuleInternals;
  if (!cacheDir) return { exports: require(file), cache: 'off' };
  if (typeof M.enableCompileCache === 'function') {
    M.enableCompileCache(cacheDir);
    return { exports: require(file), cache: 'builtin' };
  }
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256')
    .update(process.version)
    .update(process.arch)
    .update(source)
    .digest('hex')
    .slice(0, 32);
  const cacheFile = join(cacheDir, `${key}.v8cache`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // first run with this bundle and this Node
  }
  // A shebang line is not JavaScript outside the module loader.
  const body = source.startsWith('#!') ? '//' + source : source;
  const script = new Script(M.wrap(body), { filename: file, cachedData });
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  if (!hit) {
    writeAt(() => {
      try {
        const data = script.createCachedData();
        mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, data);
        renameSync(tmp, cacheFile); // whole or not at all, for a concurrent reader
        forgetOldCaches(cacheDir, cacheFile);
      } catch {
        // an unwritable cache folder only costs the next start its compile time
      }
    });
  }
  const mod = new Module(file, undefined);
  mod.filename = file;
  mod.paths = M._nodeModulePaths(dirname(file));
  const localRequire = Module.createRequire(file);
  const fn = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  fn.call(mod.exports, mod.exports, localRequire, mod, file, dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, cache: hit ? 'hit' : 'miss' };
}

/** A new cache is written after an update (a new bundle or Node): caches unused for a month go. */
const STALE_MS = 30 * 24 * 3600 * 1000;

function forgetOldCaches(dir: string, keep: string, now = Date.now()): void {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (!name.endsWith('.v8cache') || file === keep) continue;
    try {
      if (now - statSync(file).atimeMs > STALE_MS && now - statSync(file).mtimeMs > STALE_MS)
        unlinkSync(file);
    } catch {
      // gone already, or not ours to remove
    }
  }
}
