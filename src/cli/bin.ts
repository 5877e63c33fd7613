// The `mastercopy` program: a few lines that load the CLI bundle (dist/cli-main.js)
// through a V8 code cache (see codeCache.ts), then run it.
import { join } from 'node:path';
import { codeCacheDir, requireWithCodeCache } from './codeCache';
import type { runCli } from './main';

// Deprecation notices of the libraries inside (docker-modem's url.resolve of an ssh://
// address prints DEP0170) are for us, not for someone running a command.
process.noDeprecation = true;

const { exports } = requireWithCodeCache(join(__dirname, 'cli-main.js'), codeCacheDir(process.env));
(exports as { runCli: typeof runCli }).runCli();
