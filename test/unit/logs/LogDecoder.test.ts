import * as assert from 'node:assert/strict';
import { LogDecoder, type DecodedLine } from '../../../src/core/logs/LogDecoder';
import { frame, message, ts } from './frames';

function decode(
  chunks: Buffer[],
  options: { multiplexed?: boolean; maxLineBytes?: number; accept?: (key: string) => boolean } = {},
): DecodedLine[] {
  const lines: DecodedLine[] = [];
  const d = new LogDecoder({
    multiplexed: options.multiplexed ?? true,
    maxLineBytes: options.maxLineBytes,
    accept: options.accept,
    onLine: (l) => lines.push(l),
  });
  for (const c of chunks) d.push(c);
  d.end();
  return lines;
}

/** The body cut into two pieces at `at`, and into every single byte. */
function splits(body: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let at = 0; at <= body.length; at++) out.push([body.subarray(0, at), body.subarray(at)]);
  out.push([...body].map((b) => Buffer.from([b])));
  return out;
}

describe('logs: LogDecoder', () => {
  // stdout and stderr interleaved, a 2-byte and a 4-byte UTF-8 character, ANSI colour,
  // an empty line, CRLF, and a long line the engine cut into two messages.
  const body = Buffer.concat([
    message('stdout', ts(1, 1), 'plain\n'),
    message('stderr', ts(1, 2), 'über 🚀 error\n'),
    message('stdout', ts(1, 3), '\x1b[31mred\x1b[0m\n'),
    message('stdout', ts(1, 4), '\n'),
    message('stderr', ts(1, 5), 'windows\r\n'),
    message('stdout', ts(2, 0), 'first half, '),
    message('stdout', ts(2, 1), 'second half\n'),
  ]);
  const expected: DecodedLine[] = [
    { stream: 'stdout', key: ts(1, 1), text: 'plain' },
    { stream: 'stderr', key: ts(1, 2), text: 'über 🚀 error' },
    { stream: 'stdout', key: ts(1, 3), text: '\x1b[31mred\x1b[0m' },
    { stream: 'stdout', key: ts(1, 4), text: '' },
    { stream: 'stderr', key: ts(1, 5), text: 'windows' },
    { stream: 'stdout', key: ts(2, 0), text: 'first half, second half' },
  ];

  it('demultiplexes frames split at every byte position, and byte by byte', () => {
    for (const chunks of splits(body))
      assert.deepEqual(
        decode(chunks),
        expected,
        `split into ${chunks.map((c) => c.length).join('+')}`,
      );
  });

  it('decodes UTF-8 characters split across chunks and across frames', () => {
    const text = 'añ€🚀z';
    const bytes = Buffer.from(text);
    // The same character cut between two frames of one message (the engine's 16 KiB cut can fall inside one).
    const cutInside = Buffer.concat([
      frame('stdout', Buffer.concat([Buffer.from(`${ts(3)} `), bytes.subarray(0, 5)])),
      frame(
        'stdout',
        Buffer.concat([Buffer.from(`${ts(3, 1)} `), bytes.subarray(5), Buffer.from('\n')]),
      ),
    ]);
    for (const chunks of splits(cutInside))
      assert.deepEqual(
        decode(chunks).map((l) => l.text),
        [text],
      );
  });

  it('holds a partial line back until its end comes, and delivers it when the stream ends', () => {
    const lines: string[] = [];
    const d = new LogDecoder({ multiplexed: true, onLine: (l) => lines.push(l.text) });
    d.push(message('stdout', ts(1), 'no end yet'));
    assert.deepEqual(lines, []);
    d.push(message('stdout', ts(2), ' … now\nnext'));
    assert.deepEqual(lines, ['no end yet … now']);
    d.end();
    assert.deepEqual(lines, ['no end yet … now', 'next']);
  });

  it('reads a raw (TTY) body: one stream, a timestamp at each line, split anywhere', () => {
    const raw = Buffer.from(`${ts(1)} one\r\n${ts(2)} twö\r\n${ts(3)} three\n`);
    for (const chunks of splits(raw)) {
      assert.deepEqual(decode(chunks, { multiplexed: false }), [
        { stream: 'stdout', key: ts(1), text: 'one' },
        { stream: 'stdout', key: ts(2), text: 'twö' },
        { stream: 'stdout', key: ts(3), text: 'three' },
      ]);
    }
  });

  it('cuts a line longer than the limit on a character boundary', () => {
    const long = '€'.repeat(10); // 30 bytes
    const lines = decode([message('stdout', ts(1), `${long}\n`)], { maxLineBytes: 8 });
    assert.deepEqual(
      lines.map((l) => l.text),
      ['€€', '€€', '€€', '€€', '€€'],
    );
    assert.ok(lines.every((l) => Buffer.byteLength(l.text) <= 8));
  });

  it('drops the messages `accept` refuses, whole', () => {
    const chunks = [
      message('stdout', ts(1), 'old\n'),
      message('stderr', ts(2), 'older part '),
      message('stderr', ts(3), 'new\n'),
      message('stdout', ts(4), 'kept\n'),
    ];
    assert.deepEqual(
      decode(chunks, { accept: (k) => k !== ts(1) && k !== ts(2) }).map((l) => l.text),
      ['new', 'kept'],
    );
  });

  it('keeps the text of a message without a timestamp', () => {
    assert.deepEqual(
      decode([frame('stdout', 'no stamp here\n')]).map((l) => l.text),
      ['no stamp here'],
    );
  });
});
