// The last lines of a copy's log, for a report. The engine client only follows logs (a
// non-following request buffers the whole log), so: ask for `tail` lines, read until we
// have them, the stream ends (a stopped copy) or it has been quiet for a moment (a
// running copy with a shorter log), then abort. LogDecoder splits the frames and lines.
import type { EngineClient } from '../engine/EngineClient';
import { LogDecoder } from '../logs/LogDecoder';

const QUIET_MS = 300;

export async function lastLogLines(
  engine: EngineClient,
  id: string,
  lines = 20,
  options: { signal?: AbortSignal; quietMs?: number } = {},
): Promise<string[]> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const { stream, multiplexed } = await engine.logs(id, { tail: lines, timestamps: false }, signal);
  const collected: string[] = [];
  // Without timestamps: this request asks for none (a report shows the text only).
  const decoder = new LogDecoder({
    multiplexed,
    timestamps: false,
    onLine: (line) => collected.push(line.text),
  });

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
      decoder.push(chunk);
      if (collected.length >= lines) finish();
      else arm();
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
    signal.addEventListener('abort', finish, { once: true });
    arm();
  });
  // A last line without its newline yet.
  decoder.end();
  return collected.slice(-lines);
}
