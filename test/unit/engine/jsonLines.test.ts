import * as assert from 'node:assert/strict';
import { jsonLines } from '../../../src/core/engine/jsonLines';

async function collect(chunks: (string | Buffer)[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of jsonLines(
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(v);
  return out;
}

describe('engine JSON lines', () => {
  it('joins objects split across chunks and reads the last line without a newline', async () => {
    assert.deepEqual(await collect(['{"a":', '1}\n{"b"', ':2}\r\n\n{"c":3}']), [
      { a: 1 },
      { b: 2 },
      { c: 3 },
    ]);
  });

  it('keeps a UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('{"s":"ü"}\n');
    assert.deepEqual(await collect([bytes.subarray(0, 7), bytes.subarray(7)]), [{ s: 'ü' }]);
  });

  it('skips lines that are not JSON', async () => {
    assert.deepEqual(await collect(['garbage\n{"ok":true}\n']), [{ ok: true }]);
  });
});
