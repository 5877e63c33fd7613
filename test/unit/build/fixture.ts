// Temporary master copy folders for build tests.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type FixtureEntry =
  string | { content: string; mode?: number } | { symlink: string } | { dir: true; mode?: number };

const made: string[] = [];

/** A fresh folder holding `entries` (paths relative to it; folders are created as needed). */
export function fixtureFolder(entries: Record<string, FixtureEntry>): string {
  const root = mkdtempSync(join(tmpdir(), 'mastercopy-build-'));
  made.push(root);
  for (const [rel, entry] of Object.entries(entries)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof entry === 'string') writeFileSync(abs, entry);
    else if ('symlink' in entry) symlinkSync(entry.symlink, abs);
    else if ('dir' in entry) {
      mkdirSync(abs, { recursive: true });
      if (entry.mode !== undefined) chmodSync(abs, entry.mode);
    } else {
      writeFileSync(abs, entry.content);
      if (entry.mode !== undefined) chmodSync(abs, entry.mode);
    }
  }
  return root;
}

/** Removes every folder fixtureFolder made (call in after()). */
export function removeFixtures(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
