// Bundles the extension and the CLI (src/), and the tests (test/) for mocha.
// Type-checking is separate: `npm run typecheck` (tsc --noEmit).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaValidator } from './scripts/gen-schema-validator.mjs';
import { lightDockerode } from './scripts/esbuild/lightDockerode.mjs';

const production = process.argv.includes('--production');

generateSchemaValidator(import.meta.dirname);

// The preview webview loads codicons from the extension itself (no remote resources), and
// the package is made with --no-dependencies: ship the two files it needs under dist/.
mkdirSync('dist/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf'])
  copyFileSync(join('node_modules/@vscode/codicons/dist', file), join('dist/codicons', file));
const watch = process.argv.includes('--watch');

// dockerode's optional native parts (ssh2's crypto binding, cpu-features) are
// loaded inside try/catch by their packages; esbuild cannot bundle .node files.
const nativeOptional = ['cpu-features', './crypto/build/Release/sshcrypto.node', '*.node'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', ...nativeOptional],
  plugins: [lightDockerode],
  // dockerode bundled in (see MASTERCOPY_DOCKERODE_FILE in DockerodeEngineClient.ts).
  define: { MASTERCOPY_DOCKERODE_FILE: 'false' },
};
// The extension and the CLI read dockerode from a file of its own, on the first engine request.
const ownDockerode = { define: { MASTERCOPY_DOCKERODE_FILE: 'true' } };

function testEntries(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testEntries(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const builds = [
  {
    ...common,
    ...ownDockerode,
    entryPoints: { extension: 'src/vscode/extension.ts' },
    outdir: 'dist',
  },
  // dockerode and its stack (docker-modem, ssh2 …), required by the two above when first used.
  {
    ...common,
    entryPoints: { dockerode: 'node_modules/dockerode/lib/docker.js' },
    outdir: 'dist',
    minify: true,
    sourcemap: false,
  },
  {
    ...common,
    ...ownDockerode,
    entryPoints: { 'cli-main': 'src/cli/main.ts' },
    outdir: 'dist',
    // A command line starts for every call: a smaller bundle parses faster.
    minify: true,
  },
  // The keeper program, run inside its container next to the copies (src/core/keeper/).
  {
    ...common,
    entryPoints: {
      keeper: 'src/core/keeper/keeperMain.ts',
      'keeper-control': 'src/core/keeper/keeperControlMain.ts',
    },
    outdir: 'dist',
    minify: true,
    sourcemap: false,
  },
  // The program itself: loads cli-main.js through a V8 code cache (src/cli/codeCache.ts).
  {
    ...common,
    entryPoints: { cli: 'src/cli/bin.ts' },
    outdir: 'dist',
    sourcemap: false,
    banner: { js: '#!/usr/bin/env node' },
  },
];
if (!production) {
  // Each test file becomes its own bundle under out/, keeping test/ layout.
  builds.push({
    ...common,
    entryPoints: testEntries('test').map((p) => ({ in: p, out: p.replace(/\.ts$/, '') })),
    outdir: 'out',
    external: [...common.external, 'mocha', 'playwright-core'],
    sourcemap: true,
    minify: false,
  });
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
