import * as assert from 'node:assert/strict';
import {
  EngineUnreachableError,
  NotManagedError,
  unreachableReason,
} from '../../../src/core/engine/errors';

describe('engine errors', () => {
  it('recognises connection failures and names the syscall', () => {
    assert.equal(
      unreachableReason(
        Object.assign(new Error('connect ENOENT /x.sock'), { code: 'ENOENT', syscall: 'connect' }),
      ),
      'connect ENOENT',
    );
    assert.equal(
      unreachableReason(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
      'ECONNREFUSED',
    );
    assert.equal(
      unreachableReason(
        Object.assign(new Error('All configured authentication methods failed'), {
          level: 'client-authentication',
        }),
      ),
      'ssh: All configured authentication methods failed',
    );
    assert.equal(
      unreachableReason(
        Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 }),
      ),
      undefined,
    );
    assert.equal(unreachableReason(undefined), undefined);
  });

  it('says which host, why, and what to do', () => {
    const e = new EngineUnreachableError('unix:///var/run/docker.sock', 'connect ENOENT');
    assert.equal(
      e.message,
      'Docker engine not reachable at unix:///var/run/docker.sock (connect ENOENT) ' +
        '— is it running? Start it, or set DOCKER_HOST to use another.',
    );
    assert.match(
      new EngineUnreachableError('unix:///var/run/docker.sock', 'connect EACCES').message,
      /docker group/,
    );
  });

  it("says what to do in the words of the front end that shows it (the caller's hint)", () => {
    const e = new EngineUnreachableError('unix:///x.sock', 'connect ENOENT', {
      hint: 'pass --host (-H) or set DOCKER_HOST',
    });
    assert.match(e.message, /Start it, or pass --host \(-H\) or set DOCKER_HOST to use another\.$/);
    assert.match(
      new EngineUnreachableError('unix:///x.sock', 'connect EACCES', { hint: 'set `x.y`' }).message,
      /docker group\)\? Or set `x\.y` to use another\.$/,
    );
  });

  it('a refusal names the object', () => {
    assert.match(
      new NotManagedError('container', 'abc123').message,
      /Refusing to touch container abc123: it was not created by Master Copy/,
    );
  });
});
