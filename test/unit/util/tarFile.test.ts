// The one file of an archive, as the engine's archive API sends it for a path.
import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { tarStream, type TarEntry } from '../../../src/core/build/tar';
import { readTarFile } from '../../../src/core/util/tarFile';

const file = (path: string, text: string): TarEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  size: Buffer.byteLength(text),
  body: () => [Buffer.from(text)],
});

/** The archive in chunks of `size` bytes, as a socket might deliver it. */
async function chunked(entries: TarEntry[], size: number): Promise<Readable> {
  const parts: Buffer[] = [];
  for await (const c of tarStream(entries)) parts.push(c as Buffer);
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('readTarFile', () => {
  it('reads the first file, whatever the chunks', async () => {
    for (const size of [1, 7, 512, 4096]) {
      const r = await readTarFile(await chunked([file('index.html', 'hello\n')], size), 1024);
      assert.deepEqual(r, { kind: 'file', content: Buffer.from('hello\n') });
    }
  });

  it('reads past a pax header (a long name)', async () => {
    const name = `${'n'.repeat(150)}.html`; // longer than ustar's 100-character name: a pax header
    const r = await readTarFile(await chunked([file(name, 'x'.repeat(700))], 100), 1024);
    assert.deepEqual(r, { kind: 'file', content: Buffer.from('x'.repeat(700)) });
  });

  it('stops at a file larger than asked for, and at what is not a regular file', async () => {
    assert.deepEqual(await readTarFile(await chunked([file('big', 'x'.repeat(2000))], 512), 1000), {
      kind: 'too-large',
      size: 2000,
    });
    const link: TarEntry = { path: 'l', type: 'symlink', mode: 0o777, linkTarget: '/etc/passwd' };
    assert.deepEqual(await readTarFile(await chunked([link], 512), 1000), { kind: 'not-a-file' });
    const dir: TarEntry = { path: 'd', type: 'directory', mode: 0o755 };
    assert.deepEqual(await readTarFile(await chunked([dir], 512), 1000), { kind: 'not-a-file' });
    assert.deepEqual(await readTarFile(Readable.from([Buffer.alloc(100)]), 1000), {
      kind: 'not-a-file',
    });
  });
});
