// The build context as the tar stream the engine reads. Host files are read again while
// they are sent and checked against the sha256 the plan (and so the digest) saw: a file
// that changes in between fails the build instead of producing an image whose label lies.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { FileChangedError, type BuildFileSystem } from './buildFileSystem';
import { BuildPlanError } from './errors';
import type { BuildPlan, ContextEntry } from './plan';
import { tarStream, type TarEntry } from './tar';

export function contextStream(
  plan: BuildPlan,
  fs: BuildFileSystem,
  signal?: AbortSignal,
): Readable {
  return tarStream(
    plan.context.map((e) => tarEntry(e, fs, signal)),
    signal,
  );
}

function tarEntry(e: ContextEntry, fs: BuildFileSystem, signal: AbortSignal | undefined): TarEntry {
  const entry: TarEntry = {
    path: e.path,
    type: e.type,
    mode: e.mode,
    size: e.size,
    linkTarget: e.linkTarget,
  };
  if (e.type !== 'file') return entry;
  if (e.content) {
    const content = e.content;
    entry.body = () => [content];
  } else if (e.hostPath) {
    const hostPath = e.hostPath;
    entry.body = () => checked(fs.read(hostPath, signal, e.identity), e);
  }
  return entry;
}

async function* checked(
  chunks: AsyncIterable<Uint8Array>,
  e: ContextEntry,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof FileChangedError)
      throw new BuildPlanError(err.message, e.origin, { cause: err });
    throw err;
  }
  if (hash.digest('hex') !== e.sha256) {
    throw new BuildPlanError(
      `${e.hostPath} changed while the image was being built; build again.`,
      e.origin,
    );
  }
}
