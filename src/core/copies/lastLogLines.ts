// The last lines of a copy's log, for a report. The engine client only follows logs (a
// non-following request buffers the whole log), so: ask for `tail` lines, read until we
// have them, the stream ends (a stopped copy) or it has been quiet for a moment (a
// running copy with a shorter log), then abort.
import type { EngineClient } from '../engine/EngineClient';

const QUIET_MS = 300;

export async function lastLogLines(engine: EngineClient, id: string, lines = 20, options: { signal?: AbortSignal; quietMs?: number } = {}): Promise<string[]> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const { stream, multiplexed } = await engine.logs(id, { tail: lines }, signal);
  const collected: string[] = [];
  let partial = '';
  let pending: Buffer = Buffer.alloc(0);
  const decoder = new TextDecoder();

  const addText = (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) collected.push(p.replace(/\r$/, ''));
  };
  // Docker's multiplexed frames: 1 byte stream, 3 zero bytes, 4 bytes big-endian size, payload.
  const addChunk = (chunk: Buffer) => {
    if (!multiplexed) return addText(decoder.decode(chunk, { stream: true }));
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    while (pending.length - offset >= 8) {
      const size = pending.readUInt32BE(offset + 4);
      if (pending.length - offset - 8 < size) break;
      addText(pending.toString('utf8', offset + 8, offset + 8 + size));
      offset += 8 + size;
    }
    pending = pending.subarray(offset);
  };

  await new Promise<void>((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(quiet);
      stop.abort();
      stream.destroy();
      resolve();
    };
    const arm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(finish, options.quietMs ?? QUIET_MS);
    };
    stream.on('data', (chunk: Buffer) => {
      addChunk(chunk);
      if (collected.length >= lines) finish();
      else arm();
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
    signal.addEventListener('abort', finish, { once: true });
    arm();
  });
  if (partial) collected.push(partial);
  return collected.slice(-lines);
}
