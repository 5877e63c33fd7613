// One lifecycle for everything that owns disposables (the pattern of
// vscode-pull-request-github's src/common/lifecycle.ts). No 'vscode' import: a
// vscode.Disposable is anything with dispose(), so the editor layer and core share it.

export interface IDisposable {
  dispose(): void;
}

/** `fn` as a disposable that runs it once, however often it is disposed. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/** Disposes each of `disposables`, the last registered first; one that throws does not keep the others alive. */
export function disposeAll(disposables: IDisposable[]): void {
  let first: { error: unknown } | undefined;
  while (disposables.length) {
    try {
      disposables.pop()!.dispose();
    } catch (error) {
      first ??= { error };
    }
  }
  if (first) throw first.error;
}

/** Owns what it `_register`s and disposes it with itself: safe to dispose twice; registered after that, disposed at once. */
export abstract class Disposable implements IDisposable {
  private disposed = false;
  private readonly owned: IDisposable[] = [];

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  protected _register<T extends IDisposable>(value: T): T {
    if (this.disposed) value.dispose();
    else this.owned.push(value);
    return value;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
  }
}
