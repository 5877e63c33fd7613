import * as assert from 'node:assert/strict';
import {
  LABEL_MANAGED,
  LABEL_NAME,
  LABEL_VERSION,
  labelFilterArgs,
  matchesLabels,
} from '../../../src/core/engine/labels';

describe('engine labels', () => {
  it('the engine filter always includes the managed label', () => {
    assert.deepEqual(labelFilterArgs({}), ['io.mastercopy.managed=true']);
    assert.deepEqual(labelFilterArgs({ [LABEL_NAME]: 'shop', [LABEL_VERSION]: true }), [
      'io.mastercopy.name=shop',
      'io.mastercopy.version',
      'io.mastercopy.managed=true',
    ]);
  });

  it('a filter cannot weaken the managed label', () => {
    assert.deepEqual(labelFilterArgs({ [LABEL_MANAGED]: true }), ['io.mastercopy.managed=true']);
    assert.deepEqual(labelFilterArgs({ [LABEL_MANAGED]: 'false' }), ['io.mastercopy.managed=true']);
  });

  it('an object matches only with the managed label and every filter label', () => {
    const ours = { [LABEL_MANAGED]: 'true', [LABEL_NAME]: 'shop', [LABEL_VERSION]: '1.0' };
    assert.equal(matchesLabels(ours, {}), true);
    assert.equal(matchesLabels(ours, { [LABEL_NAME]: 'shop', [LABEL_VERSION]: true }), true);
    assert.equal(matchesLabels(ours, { [LABEL_NAME]: 'other' }), false);
    assert.equal(matchesLabels(ours, { 'io.mastercopy.copy': true }), false);
    assert.equal(matchesLabels({ [LABEL_NAME]: 'shop' }, {}), false);
    assert.equal(matchesLabels({ [LABEL_MANAGED]: 'false' }, {}), false);
    assert.equal(matchesLabels(null, {}), false);
    assert.equal(matchesLabels(undefined, {}), false);
  });
});
