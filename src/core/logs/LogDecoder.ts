// Bytes of one log connection → lines. In a single pass over each chunk, without copying
// it: docker-modem's demuxStream copies the rest of its buffer after every frame, which
// is quadratic in the chunk size.
//
// - Multiplexed (non-TTY) bodies are frames: 1 byte stream (1 stdout, 2 stderr), 3 zero
//   bytes, 4 bytes big-endian payload size, payload. Headers and payloads may be split
//   across chunks anywhere.
// - Each log message starts with its timestamp and a space (we always ask for them: they
//   order the merge and make reconnects exact). A message is a frame when multiplexed,
//   a line in a raw (TTY) body. The engine cuts lines longer than 16 KiB into several
//   messages, each with its own timestamp, the last one ending in "\n": they are joined
//   again here.
// - Lines are cut at "\n" on bytes, then decoded: a "\n" byte is never part of a UTF-8
//   sequence, so a character split across chunks or frames decodes whole.
// - A partial line waits for its end; a line longer than `maxLineBytes` is cut (on a
//   character boundary), so memory stays bounded whatever a copy writes.
import type { LogStreamName } from './types';
import { timestampKey } from './timestamp';

export interface DecodedLine {
  stream: LogStreamName;
  /** Sortable key of the line's first message (see timestampKey). */
  key: string;
  text: string;
}

export interface LogDecoderOptions {
  multiplexed: boolean;
  /** Called for every message's timestamp key: false drops the message (resuming after a reconnect). */
  accept?: (key: string) => boolean;
  onLine: (line: DecodedLine) => void;
  /** Messages start with a timestamp (default true); without, every key is "". */
  timestamps?: boolean;
  /** Longest line kept whole, in bytes; default 1 MiB. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
/** "2026-11-25T12:53:58.603290756+01:00" is 35; anything longer is not a timestamp. */
const MAX_TIMESTAMP = 40;

class StreamState {
  /** Waiting for the current message's timestamp. */
  atMessageStart = true;
  timestamp = '';
  /** The current message was dropped by `accept`. */
  dropping = false;
  messageKey = '';
  parts: Buffer[] = [];
  length = 0;
  /** Key of the first message of the line being assembled. */
  lineKey = '';
  constructor(readonly name: LogStreamName) {}
}

export class LogDecoder {
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private payloadLeft = 0;
  private current: StreamState;
  private readonly stdout = new StreamState('stdout');
  private readonly stderr = new StreamState('stderr');
  private readonly maxLineBytes: number;
  private readonly timestamps: boolean;

  constructor(private readonly options: LogDecoderOptions) {
    this.timestamps = options.timestamps ?? true;
    this.stdout.atMessageStart = this.stderr.atMessageStart = this.timestamps;
    this.current = this.stdout;
    this.maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
  }

  push(chunk: Buffer): void {
    if (!this.options.multiplexed) {
      this.payload(this.stdout, chunk, 0, chunk.length);
      return;
    }
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.payloadLeft === 0) {
        // A frame header, perhaps split across chunks: only then is it copied (8 bytes).
        if (this.headerFill === 0 && end - offset >= 8) {
          this.startFrame(chunk[offset], chunk.readUInt32BE(offset + 4));
          offset += 8;
        } else {
          const n = Math.min(8 - this.headerFill, end - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + n);
          this.headerFill += n;
          offset += n;
          if (this.headerFill < 8) return;
          this.headerFill = 0;
          this.startFrame(this.header[0], this.header.readUInt32BE(4));
        }
        continue;
      }
      const n = Math.min(this.payloadLeft, end - offset);
      this.payloadLeft -= n;
      this.payload(this.current, chunk, offset, offset + n);
      offset += n;
    }
  }

  /** The connection ended: lines still waiting for their end are delivered as they are. */
  end(): void {
    for (const s of [this.stdout, this.stderr]) {
      if (s.length > 0) this.emit(s, Buffer.concat(s.parts, s.length), 0, s.length);
      s.parts = [];
      s.length = 0;
      s.atMessageStart = this.timestamps;
      s.timestamp = '';
      s.dropping = false;
    }
    this.headerFill = 0;
    this.payloadLeft = 0;
  }

  private startFrame(streamByte: number, size: number): void {
    this.current = streamByte === 2 ? this.stderr : this.stdout;
    this.payloadLeft = size;
    // Every frame is one message and starts with its timestamp.
    this.current.atMessageStart = this.timestamps;
    this.current.timestamp = '';
    this.current.dropping = false;
  }

  private payload(s: StreamState, buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      if (s.atMessageStart) {
        const space = buf.indexOf(SPACE, i);
        const stop = space === -1 || space >= end ? end : space;
        s.timestamp += buf.toString('latin1', i, stop);
        if (stop === end) {
          if (s.timestamp.length > MAX_TIMESTAMP) this.noTimestamp(s);
          return;
        }
        i = stop + 1;
        this.messageStarts(s, s.timestamp);
      }
      const nl = buf.indexOf(NEWLINE, i);
      const lineEnd = nl === -1 || nl >= end ? end : nl;
      if (lineEnd === end) {
        if (!s.dropping) this.append(s, buf, i, lineEnd);
        return;
      }
      // A complete line: straight from the chunk when nothing of it waited (the usual case).
      if (!s.dropping) {
        if (s.length === 0 && lineEnd - i <= this.maxLineBytes) this.emit(s, buf, i, lineEnd);
        else {
          this.append(s, buf, i, lineEnd);
          this.finishLine(s);
        }
      }
      i = lineEnd + 1;
      // In a raw body a line ends a message; in a frame, more text keeps the frame's time.
      if (!this.options.multiplexed) {
        s.atMessageStart = this.timestamps;
        s.timestamp = '';
        s.dropping = false;
      }
    }
  }

  private messageStarts(s: StreamState, timestamp: string): void {
    const key = timestampKey(timestamp);
    if (key === undefined) {
      s.timestamp += ' ';
      this.noTimestamp(s);
      return;
    }
    s.atMessageStart = false;
    s.timestamp = '';
    s.messageKey = key;
    s.dropping = this.options.accept ? !this.options.accept(key) : false;
    if (!s.dropping && s.length === 0) s.lineKey = key;
  }

  /** A message without a timestamp (should not happen when asked for them): keep its text, time it with the last one. */
  private noTimestamp(s: StreamState): void {
    const text = Buffer.from(s.timestamp, 'latin1');
    s.atMessageStart = false;
    s.timestamp = '';
    s.dropping = false;
    if (s.length === 0) s.lineKey = s.messageKey || '0000-00-00T00:00:00.000000000Z';
    this.append(s, text, 0, text.length);
  }

  private append(s: StreamState, buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    s.parts.push(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    s.length += end - start;
    while (s.length > this.maxLineBytes) this.cutLongLine(s);
  }

  private finishLine(s: StreamState): void {
    if (s.parts.length === 1) {
      const only = s.parts[0];
      this.emit(s, only, 0, only.length);
    } else {
      this.emit(s, s.parts.length ? Buffer.concat(s.parts, s.length) : EMPTY, 0, s.length);
    }
    s.parts = [];
    s.length = 0;
  }

  private cutLongLine(s: StreamState): void {
    const all = Buffer.concat(s.parts, s.length);
    let cut = this.maxLineBytes;
    // Back to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
    while (cut > 0 && (all[cut] & 0xc0) === 0x80) cut--;
    if (cut === 0) cut = this.maxLineBytes;
    this.emit(s, all, 0, cut);
    const rest = all.subarray(cut);
    s.parts = rest.length ? [rest] : [];
    s.length = rest.length;
    s.lineKey = s.messageKey;
  }

  private emit(s: StreamState, buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 0x0d) end--;
    this.options.onLine({ stream: s.name, key: s.lineKey, text: buf.toString('utf8', start, end) });
    s.lineKey = s.messageKey;
  }
}

const EMPTY = Buffer.alloc(0);
