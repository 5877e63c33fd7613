import * as assert from 'node:assert/strict';
import { Disposable, disposeAll, toDisposable } from '../../../src/core/util/lifecycle';

class Owner extends Disposable {
  own(fn: () => void): void {
    this._register(toDisposable(fn));
  }
  get gone(): boolean {
    return this.isDisposed;
  }
}

describe('lifecycle', () => {
  it('disposes what it registered, the last first, once however often it is disposed', () => {
    const order: string[] = [];
    const owner = new Owner();
    owner.own(() => order.push('a'));
    owner.own(() => order.push('b'));
    owner.dispose();
    owner.dispose();
    assert.deepEqual(order, ['b', 'a']);
    assert.equal(owner.gone, true);
  });

  it('disposes at once what is registered after it was disposed', () => {
    const owner = new Owner();
    owner.dispose();
    let disposed = 0;
    owner.own(() => disposed++);
    assert.equal(disposed, 1);
    owner.dispose();
    assert.equal(disposed, 1);
  });

  it('toDisposable runs its function once', () => {
    let runs = 0;
    const d = toDisposable(() => runs++);
    d.dispose();
    d.dispose();
    assert.equal(runs, 1);
  });

  it('disposeAll disposes the rest when one throws, then throws the first error', () => {
    const done: string[] = [];
    const boom = new Error('boom');
    assert.throws(
      () =>
        disposeAll([
          toDisposable(() => done.push('a')),
          toDisposable(() => {
            throw boom;
          }),
          toDisposable(() => done.push('c')),
        ]),
      (e) => e === boom,
    );
    assert.deepEqual(done, ['c', 'a']);
  });
});
