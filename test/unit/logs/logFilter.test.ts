import * as assert from 'node:assert/strict';
import { parseLogFilter } from '../../../src/core/logs/logFilter';

describe('log filter', () => {
  it('is nothing for empty input', () => assert.equal(parseLogFilter('  '), undefined));
  it('matches plain text case-insensitively', () => {
    const f = parseLogFilter('Error')!;
    assert.equal(f.filter('an ERROR here'), true);
    assert.equal(f.filter('all good'), false);
    assert.equal(f.description, '"Error"');
  });
  it('matches a /regex/ with flags', () => {
    const f = parseLogFilter('/^get \\/health/i')!;
    assert.equal(f.filter('GET /health 200'), true);
    assert.equal(f.filter('a GET /health'), false);
  });
  it('ignores g and y, which would make test() stateful', () => {
    const f = parseLogFilter('/a/g')!;
    assert.equal(f.filter('a'), true);
    assert.equal(f.filter('a'), true);
  });
  it('says what is wrong with a bad regex', () =>
    assert.throws(() => parseLogFilter('/(/'), /Not a valid regular expression/));
  it('treats a lone slash as text', () => assert.equal(parseLogFilter('/')!.filter('a/b'), true));
});
