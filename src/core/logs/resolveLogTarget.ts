// What `logs TARGET` means when TARGET is not a file: NAME:VERSION, a master copy's NAME
// (when copies of that name exist), or one copy by id (a prefix of at least 4 hex digits)
// or container name. A NAME with no copies yet is still a NAME: a followed tail waits
// for its copies to be printed.
import type { EngineClient } from '../engine/EngineClient';
import { LABEL_COPY, LABEL_NAME } from '../engine/labels';
import type { LogTarget } from './types';

export class LogTargetError extends Error {
  override readonly name = 'LogTargetError';
}

export async function resolveLogTarget(
  engine: EngineClient,
  ref: string,
  signal?: AbortSignal,
): Promise<LogTarget> {
  const colon = ref.indexOf(':');
  if (colon >= 0) {
    const name = ref.slice(0, colon);
    const version = ref.slice(colon + 1);
    if (!name || !version) throw new LogTargetError(`'${ref}' is not NAME:VERSION`);
    return { name, version };
  }
  // Both questions at once: one engine round trip before the first line, not two.
  const [named, copies] = await Promise.all([
    engine.listContainers({ [LABEL_NAME]: ref, [LABEL_COPY]: true }, signal),
    engine.listContainers({ [LABEL_COPY]: true }, signal),
  ]);
  if (named.length) return { name: ref };
  const wanted = ref.toLowerCase();
  const matches = copies.filter(
    (c) => c.name === ref || (/^[0-9a-f]{4,64}$/.test(wanted) && c.id.startsWith(wanted)),
  );
  if (matches.length > 1)
    throw new LogTargetError(
      `${ref} matches ${matches.length} copies (${matches.map((c) => c.id.slice(0, 12)).join(', ')}): give more of the id.`,
    );
  if (matches.length === 1) return { containerId: matches[0].id };
  if (/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(ref)) return { name: ref };
  throw new LogTargetError(
    `No copy with the id or name ${ref}. \`mastercopy ps\` lists the copies.`,
  );
}

/** "transaction-service", "transaction-service:1.0.0" or "copy 3f2a…" for messages. */
export function describeLogTarget(target: LogTarget): string {
  if ('containerId' in target) return `copy ${target.containerId.slice(0, 12)}`;
  return target.version !== undefined ? `${target.name}:${target.version}` : target.name;
}
