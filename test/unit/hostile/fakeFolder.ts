// An in-memory folder tree for the hostile-input properties: a master copy's folder beside
// an outside one, with symbolic links that lead out (directly, through a folder, relatively)
// and links that stay inside. It serves both validation (FileAccess) and the build plan
// (BuildFileSystem), and records every path either of them touches.
import { posix } from 'node:path';
import type { BuildFileSystem, FileInfo } from '../../../src/core/build/buildFileSystem';
import type { FileAccess } from '../../../src/core/mastercopy/fileAccess';
import { isOutside } from '../../../src/core/util/paths';

export const FOLDER = '/work/mc';
export const OUTSIDE = '/work/outside';

type Entry = { file: string } | { dir: true } | { link: string };

const TREE: Record<string, Entry> = {
  '/': { dir: true },
  '/work': { dir: true },
  [FOLDER]: { dir: true },
  [`${FOLDER}/www`]: { dir: true },
  [`${FOLDER}/www/index.html`]: { file: '<h1>hi</h1>' },
  [`${FOLDER}/www/sub`]: { dir: true },
  [`${FOLDER}/www/sub/a.txt`]: { file: 'a' },
  // Inside a source folder a link is copied as a link, never followed.
  [`${FOLDER}/www/up`]: { link: '../../outside/secret.txt' },
  [`${FOLDER}/app.sh`]: { file: '#!/bin/sh\n' },
  [`${FOLDER}/..hidden`]: { file: 'a name that starts with two dots, inside' },
  [`${FOLDER}/Dockerfile`]: { file: 'FROM busybox:stable\n' },
  [`${FOLDER}/token.txt`]: { file: 'a secret' },
  [`${FOLDER}/link-in`]: { link: 'app.sh' },
  [`${FOLDER}/link-out`]: { link: `${OUTSIDE}/secret.txt` },
  [`${FOLDER}/link-rel-out`]: { link: '../outside/secret.txt' },
  [`${FOLDER}/link-dir-out`]: { link: OUTSIDE },
  [`${FOLDER}/link-chain`]: { link: 'link-out' },
  [OUTSIDE]: { dir: true },
  [`${OUTSIDE}/secret.txt`]: { file: 'outside: must never be read' },
  [`${OUTSIDE}/Dockerfile`]: { file: 'FROM evil\n' },
};

/** Relative paths a master copy may name: inside, outside, and outside through links. */
export const HOST_PATHS = [
  'app.sh',
  './app.sh',
  'www',
  './www/',
  'www/sub/a.txt',
  'www/sub/../index.html',
  '..hidden',
  'link-in',
  'Dockerfile',
  'token.txt',
  'missing.txt',
  'link-out',
  'link-rel-out',
  'link-chain',
  'link-dir-out/secret.txt',
  'link-dir-out/Dockerfile',
  'link-dir-out',
  '../outside/secret.txt',
  '../outside/Dockerfile',
  'www/../../outside/secret.txt',
  '../mc/app.sh',
  '..',
  '/etc/passwd',
  `${OUTSIDE}/secret.txt`,
  '~/secret.txt',
  'C:\\secret.txt',
  '..\\outside\\secret.txt',
];

/** Where `rel` leads from the folder, every link followed; undefined when nothing is there. */
export function resolveHost(path: string): string | undefined {
  let todo = posix.resolve(FOLDER, path).split('/').filter(Boolean);
  let at = '/';
  for (let hops = 0; todo.length;) {
    const next = posix.join(at, todo.shift()!);
    const e = TREE[next];
    if (!e) return undefined;
    if ('link' in e) {
      if (++hops > 40) return undefined;
      todo = [...posix.resolve(at, e.link).split('/').filter(Boolean), ...todo];
      at = '/';
      continue;
    }
    if ('file' in e && todo.length) return undefined;
    at = next;
  }
  return at;
}

export function leadsOutside(path: string): boolean {
  const real = resolveHost(path);
  return posix.isAbsolute(path) || (real !== undefined && isOutside(FOLDER, real));
}

/** Every path touched, by operation. */
export interface Touches {
  op: string;
  path: string;
}

export function fakeFileAccess(touched: Touches[]): FileAccess {
  return {
    realpath(path) {
      touched.push({ op: 'realpath', path });
      return resolveHost(path);
    },
    kind(path) {
      touched.push({ op: 'kind', path });
      const real = resolveHost(path);
      const e = real === undefined ? undefined : TREE[real];
      return !e ? undefined : 'dir' in e ? 'directory' : 'file';
    },
  };
}

export function fakeBuildFileSystem(touched: Touches[]): BuildFileSystem {
  const entry = (path: string) => TREE[posix.resolve(path)];
  return {
    async lstat(path): Promise<FileInfo | undefined> {
      touched.push({ op: 'lstat', path });
      const e = entry(path);
      if (!e) return undefined;
      if ('link' in e) return { type: 'symlink', mode: 0o777, size: 0 };
      if ('dir' in e) return { type: 'directory', mode: 0o755, size: 0 };
      return {
        type: 'file',
        mode: 0o644,
        size: Buffer.byteLength(e.file),
        identity: { dev: 1, ino: 1 },
      };
    },
    async realpath(path) {
      touched.push({ op: 'realpath', path });
      return resolveHost(path);
    },
    async readdir(path) {
      touched.push({ op: 'readdir', path });
      const prefix = posix.resolve(path) + '/';
      return Object.keys(TREE)
        .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
        .map((p) => p.slice(prefix.length));
    },
    async readlink(path) {
      touched.push({ op: 'readlink', path });
      const e = entry(path);
      if (!e || !('link' in e)) throw new Error(`not a link: ${path}`);
      return e.link;
    },
    async *read(path) {
      touched.push({ op: 'read', path });
      const e = entry(path);
      if (!e || !('file' in e)) throw new Error(`not a regular file: ${path}`);
      yield Buffer.from(e.file);
    },
  };
}

/** The touches that looked at or into something outside the folder (asking where a path leads is no look). */
export function outsideTouches(touched: readonly Touches[]): Touches[] {
  return touched.filter((t) => t.op !== 'realpath' && isOutside(FOLDER, posix.resolve(t.path)));
}
