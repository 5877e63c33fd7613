// Cancel from the progress notification: Build and Print stop, say nothing (a cancel is
// no error), and leave nothing half-made behind.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { docker } from '../support/docker';
import { httpMasterCopy, uniqueName, useMasterCopy } from '../support/fixture';

type WithProgress = typeof vscode.window.withProgress;
// The extension and its tests share one `vscode` API object: what is swapped here is
// what the commands call.
const window = vscode.window as {
  -readonly [K in keyof typeof vscode.window]: (typeof vscode.window)[K];
};

/**
 * Until the returned function is called, the next progress notification whose `title`
 * matches is cancelled, as if its Cancel button were pressed, on the first report for
 * which `when(message)` holds: a cancel at a known point, without timing.
 */
function cancelProgress(
  title: RegExp,
  when: (message: string) => boolean,
): { cancelled: () => boolean; restore: () => void } {
  const original: WithProgress = window.withProgress;
  let cancelled = false;
  window.withProgress = ((options, task) =>
    original(options, (progress, token) => {
      if (!title.test(options.title ?? '')) return task(progress, token);
      const source = new vscode.CancellationTokenSource();
      const forward = token.onCancellationRequested(() => source.cancel());
      const report: typeof progress.report = (value) => {
        progress.report(value);
        if (!cancelled && when(value.message ?? '')) {
          cancelled = true;
          source.cancel();
        }
      };
      return Promise.resolve(task({ report }, source.token)).finally(() => {
        forward.dispose();
        source.dispose();
      });
    })) as WithProgress;
  return { cancelled: () => cancelled, restore: () => (window.withProgress = original) };
}

/** Every error and warning pop-up the extension shows while it is on. */
function recordPopUps(): { shown: string[]; restore: () => void } {
  const shown: string[] = [];
  const error = window.showErrorMessage;
  const warning = window.showWarningMessage;
  window.showErrorMessage = ((message: string, ...rest: never[]) => (
    shown.push(`error: ${message}`),
    error(message, ...rest)
  )) as typeof error;
  window.showWarningMessage = ((message: string, ...rest: never[]) => (
    shown.push(`warning: ${message}`),
    warning(message, ...rest)
  )) as typeof warning;
  return {
    shown,
    restore: () => {
      window.showErrorMessage = error;
      window.showWarningMessage = warning;
    },
  };
}

describe('cancel from the progress notification (real engine)', function () {
  this.timeout(120_000);
  const name = uniqueName('vsx');
  // A RUN step of its own (never in the build cache) keeps the build going past its first step.
  const mc = useMasterCopy(
    name,
    httpMasterCopy(name, {
      copies: 2,
      extra: `build:\n  steps:\n    - echo ${name} > /built-by\n`,
    }),
  );
  let popUps: ReturnType<typeof recordPopUps>;

  beforeEach(() => (popUps = recordPopUps()));
  afterEach(() => popUps.restore());

  it('cancels a build at its first step: no error, no image', async () => {
    const cancel = cancelProgress(/^Building /, (m) => m.startsWith('step 1/'));
    try {
      const result = await vscode.commands.executeCommand('mastercopy.build', mc.uri);
      assert.ok(cancel.cancelled(), 'the build reported its first step and was cancelled there');
      assert.equal(result, undefined, 'a cancelled build has no result');
    } finally {
      cancel.restore();
    }
    assert.deepEqual(popUps.shown, [], 'a cancel shows no pop-up');
    assert.equal(
      (await docker('images', '--quiet', `${name}:1.0.0`)).trim(),
      '',
      'the image was not tagged',
    );
  });

  it('cancels a print while its copies start: no error, no copies', async () => {
    const cancel = cancelProgress(/^Printing /, (m) => m.startsWith('starting '));
    try {
      const result = await vscode.commands.executeCommand('mastercopy.print', mc.uri, 2);
      assert.ok(cancel.cancelled(), 'the print reported its start and was cancelled there');
      assert.equal(result, undefined, 'a cancelled print has no result');
    } finally {
      cancel.restore();
    }
    assert.deepEqual(popUps.shown, [], 'a cancel shows no pop-up');
    const left = await docker(
      'ps',
      '--all',
      '--quiet',
      '--filter',
      `label=io.mastercopy.name=${name}`,
      '--filter',
      'label=io.mastercopy.copy',
    );
    assert.equal(left.trim(), '', 'every copy the print started was removed again');
  });
});
