// What the CLI says fits the CLI: it names --host and DOCKER_HOST, never the editor's
// setting; and dispose writes its lines in one order, whichever streams a reader sees.
import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeDisposeResult } from '../../../src/cli/commands/dispose';
import { runCli } from '../../support/cli';

const NO_ENGINE = 'unix:///nonexistent/mastercopy-test.sock';

describe('CLI messages', () => {
  it('an unreachable engine: "pass --host (-H) or set DOCKER_HOST", not the editor setting', async () => {
    for (const [args, env] of [
      [['ps', '--host', NO_ENGINE], {}],
      [['ps'], { DOCKER_HOST: NO_ENGINE }],
    ] as const) {
      const r = await runCli([...args], { env: { ...env, HOME: '/nonexistent' } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          'not reachable at unix:\\/\\/\\/nonexistent\\/mastercopy-test\\.sock .*' +
            'Start it, or pass --host \\(-H\\) or set DOCKER_HOST to use another\\.',
        ),
      );
      assert.doesNotMatch(r.stderr, /mastercopy\.dockerHost/);
    }
  });

  it('a malformed --host is called --host', async () => {
    const r = await runCli(['ps', '--host', 'unix://relative.sock'], {
      env: { HOME: '/nonexistent' },
    });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^mastercopy ps: --host: "unix:\/\/relative\.sock" — a unix socket path must be absolute/,
    );
  });

  it('dispose: the details on stderr come before the summary on stdout', () => {
    const written: string[] = [];
    const sink = (name: string) =>
      new Writable({
        write: (chunk, _enc, done) => (written.push(`${name}: ${String(chunk).trimEnd()}`), done()),
      });
    const io = { stdout: sink('stdout'), stderr: sink('stderr'), env: {}, cwd: '/' };
    const copy = {
      name: 'svc',
      version: '1.0.0',
      index: 0,
      id: 'c'.repeat(64),
      containerName: 'svc_1.0.0_0',
    };
    writeDisposeResult(
      io,
      { name: 'svc', all: true },
      {
        disposed: [copy],
        networksRemoved: ['mastercopy-svc'],
        keepersRemoved: ['svc'],
        cancelled: false,
      },
      false,
    );
    assert.deepEqual(written, [
      'stderr: The deploy history of svc is kept (mastercopy history svc); forget it with: mastercopy history --forget --yes svc',
      'stdout: Disposed of 1 copy of svc, its endpoint (keeper) and the network mastercopy-svc.',
    ]);
    written.length = 0;
    writeDisposeResult(
      io,
      { name: 'svc', all: true },
      { disposed: [], networksRemoved: [], keepersRemoved: ['svc'], cancelled: false },
      true,
    );
    assert.match(written[0], /^stderr: The deploy history of svc is kept/);
    assert.match(written[1], /^stdout: \{/);
  });
});
