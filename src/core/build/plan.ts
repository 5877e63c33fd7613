// Master copy → build plan: the tag, the labels, the Dockerfile and the build context.
// The context holds only what the master copy refers to, never the whole workspace:
//   Dockerfile      the generated Dockerfile
//   files/I         files[I]: its inline content, or its source file, or its source folder
// Modes are applied here, in the context (the classic builder has no COPY --chmod and
// COPY keeps the modes it finds); owners are COPY --chown. A source file keeps its
// permission bits (0777); setuid/setgid/sticky only come from an explicit `mode`. Symbolic
// links inside a source folder are copied as links, never followed, so nothing outside
// the master copy's folder is ever read. Files named by `secrets[].fromFile` never enter
// a context.
// With `dockerfile:` the context is the master copy's folder, without .git, node_modules,
// master copy files, secret files and what its .dockerignore lists; the user's Dockerfile
// is used as is, and our labels go through the build API.
import { createHash } from 'node:crypto';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import {
  LABEL_DIGEST,
  LABEL_MANAGED,
  LABEL_MASTER_COPY,
  LABEL_NAME,
  LABEL_VERSION,
  MANAGED_VALUE,
} from '../engine/labels';
import type { MasterCopy } from '../mastercopy/model';
import type { PathSegment } from '../mastercopy/yamlSource';
import {
  FileChangedError,
  type BuildFileSystem,
  type FileIdentity,
  type FileInfo,
} from './buildFileSystem';
import { canonicalJson, canonicalMasterCopy, masterCopyDigest } from './digest';
import { displayOrigin, generateDockerfile, type DockerfileInstruction } from './dockerfile';
import { DockerignoreError, parseDockerignore, type IgnoreRules } from './dockerignore';
import { BuildPlanError } from './errors';
import { LABEL_FILES, manifestLabel } from './manifest';
import { MIB, mebibytes } from '../util/hostFile';
import { isOutside } from '../util/paths';
import { decodeUtf8, describeNotUtf8 } from '../util/utf8';

export interface ContextEntry {
  /** Relative posix path inside the build context. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** The mode it gets in the image. */
  mode: number;
  /** Files: size in bytes. */
  size: number;
  /** Files: sha256 of the content, hex. The build checks the bytes it sends against it. */
  sha256?: string;
  /** Generated or inline files: the bytes. */
  content?: Buffer;
  /** Host files: where to read them. */
  hostPath?: string;
  /** Host files: the very file that was read (the build reads only that one again). */
  identity?: FileIdentity;
  linkTarget?: string;
  /** The master copy part that brought it in. */
  origin: PathSegment[];
  /** Derived from the master copy itself (the generated Dockerfile): not part of the digest. */
  generated?: boolean;
}

export interface BuildPlan {
  name: string;
  version: string;
  /** NAME:VERSION. */
  tag: string;
  /** io.mastercopy.digest. */
  digest: string;
  /** Every label of the image: the master copy's own, then ours (which win). */
  labels: Record<string, string>;
  /** Values of build.args, as strings. */
  buildArgs: Record<string, string>;
  /** The Dockerfile's path inside the context. */
  dockerfilePath: string;
  /** The generated Dockerfile's text; undefined with `dockerfile:` (the user's, used as is). */
  dockerfileText: string | undefined;
  /** The generated Dockerfile's instructions (step i + 1 is instructions[i]); empty with `dockerfile:`. */
  instructions: DockerfileInstruction[];
  /** The build context, in archive order. */
  context: ContextEntry[];
  /** With `from`: the base image. */
  baseImage: string | undefined;
}

export const GENERATED_DOCKERFILE = 'Dockerfile';
const FILES_DIR = 'files';
const ALWAYS_LEFT_OUT = new Set(['.git', 'node_modules']);
const MASTER_COPY_FILE = /\.mastercopy\.ya?ml$/;

/**
 * Plans the build of a validated master copy. `folder` is the master copy's folder on the
 * host, where its sources and its Dockerfile are found.
 */
export async function planBuild(
  mc: MasterCopy,
  folder: string,
  fs: BuildFileSystem,
  signal?: AbortSignal,
): Promise<BuildPlan> {
  folder = resolve(folder);
  const realFolder = (await fs.realpath(folder)) ?? folder;
  const secretFiles = await secretPaths(mc, folder, fs);
  const walker = new ContextWalker(fs, secretFiles, signal);

  let dockerfilePath: string;
  let dockerfileText: string | undefined;
  let instructions: DockerfileInstruction[] = [];
  const context: ContextEntry[] = [];

  if (mc.dockerfile !== undefined) {
    const real = await insideFolder(fs, folder, realFolder, mc.dockerfile, ['dockerfile']);
    const info = await fs.lstat(real);
    if (info?.type !== 'file')
      throw new BuildPlanError(`dockerfile: ${mc.dockerfile} is not a file.`, ['dockerfile']);
    dockerfilePath = toPosix(relative(realFolder, real));
    const ignoreInfo = await fs.lstat(join(realFolder, '.dockerignore'));
    const ignore =
      ignoreInfo?.type === 'file'
        ? ignoreRules(await readText(fs, join(realFolder, '.dockerignore'), ignoreInfo, signal))
        : undefined;
    await walker.folderContents(
      realFolder,
      '',
      ['dockerfile'],
      context,
      undefined,
      (rel, type) => {
        if (rel === dockerfilePath) return false; // the Dockerfile always goes, whatever .dockerignore says
        const base = posix.basename(rel);
        if (ALWAYS_LEFT_OUT.has(base)) return true;
        if (type !== 'directory' && MASTER_COPY_FILE.test(base)) return true;
        return ignore?.ignores(rel) ?? false;
      },
      ignore,
    );
  } else {
    if (mc.from === undefined)
      throw new BuildPlanError(
        'A master copy needs `from` or `dockerfile` to be built.',
        undefined,
      );
    dockerfilePath = GENERATED_DOCKERFILE;
    const contextPaths: string[] = [];
    const files = mc.files ?? [];
    if (files.length)
      context.push({ path: FILES_DIR, type: 'directory', mode: 0o755, size: 0, origin: ['files'] });
    for (const [i, f] of files.entries()) {
      signal?.throwIfAborted();
      const path = `${FILES_DIR}/${i}`;
      contextPaths.push(path);
      const origin: PathSegment[] = ['files', i];
      const mode = f.mode !== undefined ? parseMode(f.mode, [...origin, 'mode']) : undefined;
      if (f.content !== undefined) {
        const content = Buffer.from(f.content, 'utf8');
        context.push({
          path,
          type: 'file',
          mode: mode ?? 0o644,
          size: content.length,
          sha256: sha256(content),
          content,
          origin,
        });
        continue;
      }
      if (f.source === undefined)
        throw new BuildPlanError(`files[${i}] needs \`content\` or \`source\`.`, origin);
      const sourceOrigin = [...origin, 'source'];
      const real = await insideFolder(fs, folder, realFolder, f.source, sourceOrigin);
      if (secretFiles.has(real))
        throw new BuildPlanError(
          `files[${i}].source (${f.source}) is a secret file: secrets are injected when printing, never copied into the image.`,
          sourceOrigin,
        );
      const info = await fs.lstat(real);
      if (info?.type === 'file')
        context.push(await walker.fileEntry(real, path, mode ?? info.mode & 0o777, info, origin));
      else if (info?.type === 'directory') {
        context.push({
          path,
          type: 'directory',
          mode: mode !== undefined ? folderMode(mode) : info.mode & 0o777,
          size: 0,
          origin,
        });
        await walker.folderContents(real, path, origin, context, mode);
      } else
        throw new BuildPlanError(
          `files[${i}].source (${f.source}) is neither a file nor a folder.`,
          sourceOrigin,
        );
    }
    const generated = generateDockerfile(mc, contextPaths);
    dockerfileText = generated.text;
    instructions = generated.instructions;
    const content = Buffer.from(dockerfileText, 'utf8');
    context.unshift({
      path: GENERATED_DOCKERFILE,
      type: 'file',
      mode: 0o644,
      size: content.length,
      sha256: sha256(content),
      content,
      origin: [],
      generated: true,
    });
  }

  const digest = masterCopyDigest(
    mc,
    context
      .filter((e) => !e.generated)
      .map((e) => ({
        path: e.path,
        type: e.type,
        mode: e.mode,
        sha256: e.sha256,
        linkTarget: e.linkTarget,
      })),
  );
  const userLabels = Object.fromEntries(
    Object.entries(mc.labels ?? {}).map(([k, v]) => [k, String(v)]),
  );
  return {
    name: mc.name,
    version: mc.version,
    tag: `${mc.name}:${mc.version}`,
    digest,
    labels: {
      ...userLabels,
      [LABEL_NAME]: mc.name,
      [LABEL_VERSION]: mc.version,
      [LABEL_DIGEST]: digest,
      [LABEL_MASTER_COPY]: canonicalJson(canonicalMasterCopy(mc)),
      [LABEL_FILES]: manifestLabel(mc, context),
      [LABEL_MANAGED]: MANAGED_VALUE,
    },
    buildArgs: Object.fromEntries(
      Object.entries(mc.build?.args ?? {}).map(([k, v]) => [k, String(v)]),
    ),
    dockerfilePath,
    dockerfileText,
    instructions,
    context,
    baseImage: mc.from,
  };
}

/** "0644" → 0o644. */
export function parseMode(mode: string, origin: PathSegment[]): number {
  if (!/^0?[0-7]{3,4}$/.test(mode))
    throw new BuildPlanError(`${mode} is not an octal mode like "0644".`, origin);
  return parseInt(mode, 8);
}

/** A folder under a `mode`: the same bits, plus search (x) wherever reading (r) is allowed. */
export function folderMode(mode: number): number {
  return (mode & 0o777) | ((mode & 0o444) >> 2);
}

class ContextWalker {
  constructor(
    private readonly fs: BuildFileSystem,
    private readonly secretFiles: ReadonlySet<string>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async fileEntry(
    hostPath: string,
    path: string,
    mode: number,
    info: FileInfo,
    origin: PathSegment[],
  ): Promise<ContextEntry> {
    const hash = createHash('sha256');
    let read = 0;
    try {
      for await (const chunk of this.fs.read(hostPath, this.signal, info.identity)) {
        hash.update(chunk);
        read += chunk.length;
      }
    } catch (e) {
      if (e instanceof FileChangedError) throw new BuildPlanError(e.message, origin, { cause: e });
      throw e;
    }
    if (read !== info.size)
      throw new BuildPlanError(`${hostPath} changed while it was being read; try again.`, origin);
    return {
      path,
      type: 'file',
      mode,
      size: info.size,
      sha256: hash.digest('hex'),
      hostPath,
      identity: info.identity,
      origin,
    };
  }

  /**
   * Adds what is inside `hostDir` (sorted by name, so the digest is stable) under `prefix`.
   * `mode` overrides files' modes (folders get folderMode(mode)). `leaveOut` gets the path
   * relative to the walk's root.
   */
  async folderContents(
    hostDir: string,
    prefix: string,
    origin: PathSegment[],
    out: ContextEntry[],
    mode: number | undefined,
    leaveOut?: (rel: string, type: 'file' | 'directory' | 'symlink') => boolean,
    ignore?: IgnoreRules,
    rel = '',
  ): Promise<void> {
    const names = (await this.fs.readdir(hostDir)).sort(byCodePoint);
    for (const name of names) {
      this.signal?.throwIfAborted();
      const hostPath = join(hostDir, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const path = prefix ? `${prefix}/${childRel}` : childRel;
      const info = await this.fs.lstat(hostPath);
      if (!info || info.type === 'other') continue; // sockets, pipes, devices: nothing to copy
      if (info.type === 'file' && this.secretFiles.has(hostPath)) continue;
      if (leaveOut?.(childRel, info.type)) {
        // An ignored folder is still walked when an exception could take something inside back in.
        if (info.type === 'directory' && ignore?.hasExceptions && !ALWAYS_LEFT_OUT.has(name)) {
          await this.folderContents(
            hostPath,
            prefix,
            origin,
            out,
            mode,
            leaveOut,
            ignore,
            childRel,
          );
        }
        continue;
      }
      if (info.type === 'symlink') {
        out.push({
          path,
          type: 'symlink',
          mode: 0o777,
          size: 0,
          linkTarget: await this.fs.readlink(hostPath),
          origin,
        });
      } else if (info.type === 'directory') {
        out.push({
          path,
          type: 'directory',
          mode: mode !== undefined ? folderMode(mode) : info.mode & 0o777,
          size: 0,
          origin,
        });
        await this.folderContents(hostPath, prefix, origin, out, mode, leaveOut, ignore, childRel);
      } else {
        out.push(await this.fileEntry(hostPath, path, mode ?? info.mode & 0o777, info, origin));
      }
    }
  }
}

/** Resolves a host path of the master copy, refusing one that leads (or links) out of its folder. */
async function insideFolder(
  fs: BuildFileSystem,
  folder: string,
  realFolder: string,
  p: string,
  origin: PathSegment[],
): Promise<string> {
  const shown = displayOrigin(origin);
  if (isAbsolute(p) || posix.isAbsolute(p) || p.startsWith('~'))
    throw new BuildPlanError(
      `${shown} (${p}) must be relative to the master copy's folder.`,
      origin,
    );
  const real = await fs.realpath(resolve(folder, p));
  if (real === undefined)
    throw new BuildPlanError(`${shown}: ${p} does not exist in ${folder}.`, origin);
  if (isOutside(realFolder, real)) {
    throw new BuildPlanError(
      `${shown} (${p}) leads outside the master copy's folder (to ${real}); only files inside it can be used.`,
      origin,
    );
  }
  return real;
}

/** The folder's .dockerignore; a bad pattern is a plan error (it names the file and the line). */
function ignoreRules(text: string): IgnoreRules {
  try {
    return parseDockerignore(text);
  } catch (e) {
    if (e instanceof DockerignoreError)
      throw new BuildPlanError(e.message, ['dockerfile'], { cause: e });
    throw e;
  }
}

async function secretPaths(
  mc: MasterCopy,
  folder: string,
  fs: BuildFileSystem,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const s of mc.secrets ?? []) {
    if (s.fromFile === undefined) continue;
    const abs = resolve(folder, s.fromFile);
    out.add(abs);
    const real = await fs.realpath(abs);
    if (real) out.add(real);
  }
  return out;
}

/** A .dockerignore is a few lines: reading stops past this. */
const MAX_DOCKERIGNORE_BYTES = MIB;

async function readText(
  fs: BuildFileSystem,
  path: string,
  info: FileInfo,
  signal: AbortSignal | undefined,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of fs.read(path, signal, info.identity)) {
      size += c.length;
      if (size > MAX_DOCKERIGNORE_BYTES)
        throw new BuildPlanError(
          `${path} is larger than ${mebibytes(MAX_DOCKERIGNORE_BYTES)}; a .dockerignore holds patterns, one a line.`,
          ['dockerfile'],
        );
      chunks.push(Buffer.from(c));
    }
  } catch (e) {
    if (e instanceof FileChangedError)
      throw new BuildPlanError(e.message, ['dockerfile'], { cause: e });
    throw e;
  }
  const { text, notUtf8 } = decodeUtf8(Buffer.concat(chunks));
  // Patterns read with U+FFFD in them would not match what Docker matches.
  if (notUtf8)
    throw new BuildPlanError(
      `.dockerignore is not UTF-8: ${describeNotUtf8(notUtf8)}; save it as UTF-8.`,
      ['dockerfile'],
    );
  return text;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
