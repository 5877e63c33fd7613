import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { delay } from '../../../src/core/util/delay';

describe('delay', () => {
  it('resolves after its time and leaves no abort listener behind', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await delay(1, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('rejects with the abort reason when aborted, and removes its listener', async () => {
    const controller = new AbortController();
    const waiting = delay(60_000, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    const reason = new Error('stop');
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('rejects at once on a signal that has aborted already, with an AbortError', async () => {
    await assert.rejects(delay(60_000, AbortSignal.abort()), { name: 'AbortError' });
  });

  it('waits without a signal', async () => {
    const started = Date.now();
    await delay(20);
    assert.ok(Date.now() - started >= 15);
  });
});
