#!/usr/bin/env node
// Fails when a line of the code is wider than 140 characters. Prettier keeps code to 100
// but never breaks a string, a regular expression or a comment: those are broken by hand,
// so that a side-by-side diff stays readable. Usage: node scripts/check-width.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const MAX = 140;
const skip = new Set([
  'node_modules',
  'dist',
  'out',
  'generated',
  'results',
  '.tools',
  '.vscode-test',
  'test-results',
  'workspace',
]);
const wide = [];
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (/\.(ts|mjs|js)$/.test(entry.name)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach(
          (line, i) =>
            line.length > MAX &&
            wide.push(`${relative(root, path)}:${i + 1}: ${line.length} characters`),
        );
    }
  }
}
for (const dir of ['src', 'test', 'bench', 'scripts', 'media']) walk(join(root, dir));
for (const w of wide) console.log(w);
if (wide.length) {
  console.log(
    `\n${wide.length} line(s) over ${MAX} characters: break the string, regular expression or comment by hand.`,
  );
  process.exit(1);
}
