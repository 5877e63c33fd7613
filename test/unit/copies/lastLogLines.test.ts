// The last lines of a copy's log (for reports of copies that never became healthy),
// decoded by LogDecoder: frames split anywhere, characters split across frames.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLogLines } from '../../../src/core/copies/lastLogLines';
import { FakeEngine } from './fakeEngine';
import { frame } from '../logs/frames';
import { repoRoot } from '../../support/repoRoot';

/** A fake engine whose copy `c` has this log body, sent in these chunks. */
function engineWithLog(chunks: Buffer[], multiplexed: boolean): FakeEngine {
  const engine = new FakeEngine();
  engine.logBodies.set('c', { chunks, multiplexed });
  return engine;
}

describe('lastLogLines', () => {
  it('a character split across two frames comes out whole', async () => {
    const text = Buffer.from('prix: 12 €\n');
    const euro = text.indexOf(Buffer.from('€'));
    // The engine cut one write into two frames in the middle of "€" (3 bytes).
    const body = Buffer.concat([
      frame('stdout', text.subarray(0, euro + 1)),
      frame('stdout', text.subarray(euro + 1)),
    ]);
    assert.deepEqual(await lastLogLines(engineWithLog([body], true), 'c', 5, { quietMs: 50 }), [
      'prix: 12 €',
    ]);
  });

  it('frames and lines split across chunks anywhere, stdout and stderr apart, the last line without its newline', async () => {
    const body = Buffer.concat([
      frame('stdout', 'one\ntw'),
      frame('stderr', 'warn\n'),
      frame('stdout', 'o\nthree'),
    ]);
    const chunks = Array.from({ length: body.length }, (_, i) => body.subarray(i, i + 1));
    assert.deepEqual(await lastLogLines(engineWithLog(chunks, true), 'c', 10, { quietMs: 50 }), [
      'one',
      'warn',
      'two',
      'three',
    ]);
  });

  it('only the last `lines` of them; a raw (TTY) log too', async () => {
    const tty = Buffer.from(Array.from({ length: 8 }, (_, i) => `line ${i}\r\n`).join(''));
    assert.deepEqual(await lastLogLines(engineWithLog([tty], false), 'c', 3, { quietMs: 50 }), [
      'line 5',
      'line 6',
      'line 7',
    ]);
  });

  it('a real log body from Docker and from Podman', async () => {
    for (const engine of ['docker', 'podman']) {
      const { base64 } = JSON.parse(
        readFileSync(
          join(repoRoot(), 'test/unit/engine/fixtures', engine, 'logs-exited.json'),
          'utf8',
        ),
      ) as { base64: string };
      // Captured with timestamps (lastLogLines asks for none): strip them. The engine
      // orders stdout against stderr as their writes reached it: compare without order.
      const lines = await lastLogLines(
        engineWithLog([Buffer.from(base64, 'base64')], true),
        'c',
        10,
        { quietMs: 50 },
      );
      assert.deepEqual(
        lines.map((l) => l.replace(/^\S+ /, '')).sort(),
        ['a warning', 'last line', 'starting: ünïcode ✓'],
        engine,
      );
    }
  });
});
