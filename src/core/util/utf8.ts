// Strict UTF-8: bytes that are not UTF-8 are said to be so, at the first bad byte, instead
// of becoming U+FFFD (Latin-1 `café` silently turned into `caf\uFFFD` in an ENV).
import { isUtf8 } from 'node:buffer';

export interface NotUtf8 {
  /** Offset of the first byte that does not start (or continue) a valid UTF-8 character. */
  byteOffset: number;
  byte: number;
  /** 1-based line and column (in characters) of that byte. */
  line: number;
  column: number;
  /** Where it sits in `text` (the valid part before it, decoded, is this long). */
  textOffset: number;
}

export type Utf8Decoded =
  { text: string; notUtf8?: undefined } | { text: string; notUtf8: NotUtf8 };

/** The text of `bytes`; when they are not UTF-8, also where the first bad byte is (`text` then has U+FFFD in its place). */
export function decodeUtf8(bytes: Uint8Array): Utf8Decoded {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  if (isUtf8(buf)) return { text };
  const byteOffset = firstInvalidByte(buf);
  const before = buf.subarray(0, byteOffset).toString('utf8');
  const lineStart = before.lastIndexOf('\n') + 1;
  let newlines = 0;
  for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) newlines++;
  return {
    text,
    notUtf8: {
      byteOffset,
      byte: buf[byteOffset],
      line: newlines + 1,
      column: before.length - lineStart + 1,
      textOffset: before.length,
    },
  };
}

/** "byte 0xE9 at line 3, column 12 is not UTF-8" */
export function describeNotUtf8(n: NotUtf8): string {
  return `byte 0x${n.byte.toString(16).toUpperCase().padStart(2, '0')} at line ${n.line}, column ${n.column} is not UTF-8`;
}

/** RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}
