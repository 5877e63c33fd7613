// Building engine log bodies for tests: Docker's multiplexed frames, timestamps.

/** "2026-11-25T12:00:00.000000001Z" for a whole second and nanoseconds. */
export function ts(second: number, nanos = 0): string {
  const d = new Date(Date.UTC(2026, 10, 25, 12, 0, 0) + second * 1000).toISOString().slice(0, 19);
  return `${d}.${String(nanos).padStart(9, '0')}Z`;
}

export function frame(stream: 'stdout' | 'stderr', payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream === 'stderr' ? 2 : 1;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** One log message as the engine sends it with timestamps: a frame "TS text". */
export function message(stream: 'stdout' | 'stderr', timestamp: string, text: string): Buffer {
  return frame(stream, `${timestamp} ${text}`);
}
