// `mastercopy export`: one master copy → the files of one target, and writing them to a folder.
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  FileChangedError,
  nodeBuildFileSystem,
  type BuildFileSystem,
} from '../build/buildFileSystem';
import { TAR_MTIME } from '../build/tar';
import type { MasterCopy } from '../mastercopy/model';
import { exportCompose } from './compose';
import { exportDevcontainer } from './devcontainer';
import { exportDockerfile } from './dockerfile';
import { exportKubernetes } from './kubernetes';
import { exportOpenShift } from './openshift';
import type { ExportResult, ExportSource, ExportTarget } from './types';

export * from './types';

export interface ExportOptions {
  /** The master copy's folder on the host (the dockerfile target reads its sources there). */
  folder: string;
  fs?: BuildFileSystem;
  signal?: AbortSignal;
}

/** The files of `target` for a validated master copy. Only `dockerfile` reads the host (its sources). */
export async function exportMasterCopy(
  mc: MasterCopy,
  target: ExportTarget,
  source: ExportSource,
  options: ExportOptions,
): Promise<ExportResult> {
  switch (target) {
    case 'kubernetes':
      return exportKubernetes(mc, source);
    case 'openshift':
      return exportOpenShift(mc, source);
    case 'compose':
      return exportCompose(mc, source);
    case 'devcontainer':
      return exportDevcontainer(mc, source);
    case 'dockerfile':
      return exportDockerfile(
        mc,
        source,
        options.folder,
        options.fs ?? nodeBuildFileSystem,
        options.signal,
      );
  }
}

/** Text targets: the export without reading anything (the editor's untrusted side uses this). */
export function exportText(
  mc: MasterCopy,
  target: Exclude<ExportTarget, 'dockerfile'>,
  source: ExportSource,
): ExportResult {
  switch (target) {
    case 'kubernetes':
      return exportKubernetes(mc, source);
    case 'openshift':
      return exportOpenShift(mc, source);
    case 'compose':
      return exportCompose(mc, source);
    case 'devcontainer':
      return exportDevcontainer(mc, source);
  }
}

/** The export's one text file (every target but dockerfile has exactly one). */
export function mainText(result: ExportResult): string {
  const main = result.files.find((f) => f.path === result.main);
  if (!main || main.content === undefined) throw new Error(`${result.main} has no text`);
  return typeof main.content === 'string' ? main.content : main.content.toString('utf8');
}

export class ExportFolderError extends Error {
  override readonly name = 'ExportFolderError';
}

/**
 * Writes the export into `dir` (made when missing) and returns the paths written. A
 * dockerfile eject wants an empty folder: a file left over from another export would be
 * copied into the image by a COPY of its folder.
 */
export async function writeExport(
  result: ExportResult,
  dir: string,
  fs: BuildFileSystem = nodeBuildFileSystem,
  signal?: AbortSignal,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  if (result.target === 'dockerfile' && (await readdir(dir)).length)
    throw new ExportFolderError(`${dir} is not empty; eject into an empty or a new folder.`);
  const written: string[] = [];
  const folders: { path: string; mode: number }[] = [];
  for (const f of result.files) {
    signal?.throwIfAborted();
    const path = join(dir, ...f.path.split('/'));
    await mkdir(dirname(path), { recursive: true });
    if (f.type === 'directory') {
      await mkdir(path, { recursive: true });
      folders.push({ path, mode: f.mode });
      continue;
    }
    if (f.type === 'symlink') {
      // Kept as the link it is, never followed (as the build context keeps it).
      await symlink(f.linkTarget ?? '', path);
      written.push(path);
      continue;
    }
    const content = f.content ?? (await readChecked(fs, f, signal));
    // Not over a link an earlier entry made: a file is written only where nothing is.
    if (result.target === 'dockerfile' && (await lstat(path).catch(() => undefined)))
      throw new ExportFolderError(`${path} is there twice in the export`);
    await writeFile(path, content, { mode: f.mode });
    await chmod(path, f.mode); // the umask must not change what COPY puts in the image
    if (result.target === 'dockerfile') await utimes(path, TAR_MTIME, TAR_MTIME);
    written.push(path);
  }
  // Folder modes last: a read-only folder would refuse the files written into it.
  for (const d of folders.reverse()) {
    await chmod(d.path, d.mode);
    await utimes(d.path, TAR_MTIME, TAR_MTIME);
  }
  return written;
}

async function readChecked(
  fs: BuildFileSystem,
  f: { path: string; hostPath?: string; identity?: { dev: number; ino: number }; sha256?: string },
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  if (!f.hostPath) throw new Error(`${f.path} has no content`);
  const chunks: Buffer[] = [];
  for await (const c of fs.read(f.hostPath, signal, f.identity)) chunks.push(Buffer.from(c));
  const bytes = Buffer.concat(chunks);
  if (f.sha256 && createHash('sha256').update(bytes).digest('hex') !== f.sha256)
    throw new FileChangedError(`${f.hostPath} changed while it was being exported; export again.`);
  return bytes;
}
