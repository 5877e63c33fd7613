import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { paxRecord, tarStream } from '../../../src/core/build/tar';

async function bytes(entries: Parameters<typeof tarStream>[0]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarStream(entries)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('tar writer', () => {
  it('writes an archive GNU tar reads: modes, folders, links, long and non-ASCII names', async () => {
    const long = `deep/${'a-long-folder-name/'.repeat(8)}file with spaces ü💳.txt`;
    const archive = await bytes([
      { path: 'deep', type: 'directory', mode: 0o750 },
      {
        path: long,
        type: 'file',
        mode: 0o4755,
        size: 5,
        body: () => [Buffer.from('he'), Buffer.from('llo')],
      },
      { path: 'link', type: 'symlink', mode: 0o777, linkTarget: `/${'x'.repeat(120)}` },
      { path: 'empty', type: 'file', mode: 0o600, size: 0 },
    ]);
    assert.equal(archive.length % 512, 0);
    const listing = execFileSync('tar', ['-tv', '--numeric-owner', '-f', '-'], {
      input: archive,
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    }).toString();
    const lines = listing.trim().split('\n');
    assert.equal(lines.length, 4, listing);
    assert.match(lines[0], /^drwxr-x--- 0\/0 +0 2000-01-01 \d\d:\d\d deep\/$/);
    assert.ok(lines[1].startsWith('-rwsr-xr-x 0/0'), lines[1]);
    assert.ok(lines[1].endsWith(long), `${lines[1]} should end with ${long}`);
    assert.ok(
      lines[2].startsWith('lrwxrwxrwx') && lines[2].endsWith(`link -> /${'x'.repeat(120)}`),
      lines[2],
    );
    assert.ok(lines[3].startsWith('-rw------- 0/0'), lines[3]);
    const content = execFileSync('tar', ['-xO', '-f', '-', long], { input: archive }).toString();
    assert.equal(content, 'hello');
  });

  it('fails instead of writing a file whose size changed since it was planned', async () => {
    await assert.rejects(
      bytes([
        { path: 'f', type: 'file', mode: 0o644, size: 4, body: () => [Buffer.from('hello')] },
      ]),
      /grew/,
    );
    await assert.rejects(
      bytes([
        { path: 'f', type: 'file', mode: 0o644, size: 9, body: () => [Buffer.from('hello')] },
      ]),
      /changed/,
    );
  });

  it("counts a pax record's own length digits", () => {
    for (const value of ['x', 'x'.repeat(90), 'x'.repeat(93), 'ü'.repeat(500)]) {
      const record = paxRecord('path', value);
      assert.equal(Number(record.split(' ')[0]), Buffer.byteLength(record));
    }
  });
});
