// Reading the one file of a tar stream, as the engine's archive API answers for a path
// (GET /containers/{id}/archive?path=…): just enough of ustar, pax and GNU long names to
// find the first entry and its bytes. Reading stops as soon as they are in, or as soon as
// the entry turns out not to be a regular file or to be larger than the caller takes.
import type { Readable } from 'node:stream';

const BLOCK = 512;

export type TarFileResult =
  { kind: 'file'; content: Buffer } | { kind: 'too-large'; size: number } | { kind: 'not-a-file' };

/** The first entry of `stream`; the stream is destroyed when done (it need not be read to its end). */
export async function readTarFile(stream: Readable, maxBytes: number): Promise<TarFileResult> {
  const reader = new BlockReader(stream);
  try {
    let paxSize: number | undefined;
    for (;;) {
      const header = await reader.read(BLOCK);
      if (!header || header.every((b) => b === 0)) return { kind: 'not-a-file' };
      const type = String.fromCharCode(header[156] || 0x30);
      const size = paxSize ?? headerSize(header);
      paxSize = undefined;
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
        // Headers about the next entry: only a pax size matters here (a file past 8 GiB).
        if (size > 1024 * 1024) return { kind: 'not-a-file' };
        const body = await reader.read(padded);
        if (!body) return { kind: 'not-a-file' };
        if (type === 'x') paxSize = paxRecordSize(body.subarray(0, size).toString('utf8'));
        continue;
      }
      if (type !== '0' && type !== '7') return { kind: 'not-a-file' };
      if (size > maxBytes) return { kind: 'too-large', size };
      const body = await reader.read(size);
      return body ? { kind: 'file', content: body } : { kind: 'not-a-file' };
    }
  } finally {
    stream.destroy();
  }
}

/** The size field: octal text, or base-256 when its first byte has the high bit set. */
function headerSize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if (field[0] & 0x80) {
    let n = field[0] & 0x7f;
    for (const b of field.subarray(1)) n = n * 256 + b;
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

/** "NN size=123\n" among a pax header's records. */
function paxRecordSize(text: string): number | undefined {
  const m = /(?:^|\n)[0-9]+ size=([0-9]+)\n/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Exactly n bytes at a time from a stream; undefined when it ends first. */
class BlockReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(stream: Readable) {
    this.chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  async read(n: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [this.buffered];
    let have = this.buffered.length;
    while (have < n) {
      const next = await this.chunks.next();
      if (next.done) return undefined;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      parts.push(chunk);
      have += chunk.length;
    }
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.buffered = all.subarray(n);
    return all.subarray(0, n);
  }
}
