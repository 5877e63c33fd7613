// A mocha reporter: spec output for people, plus a small JSON file with the
// counts so that scripts/test.mjs can total every suite in one closing line.
// The file path comes from MASTERCOPY_TEST_RESULTS (absent: no file).
import * as Mocha from 'mocha';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } =
  Mocha.Runner.constants;

interface SuiteCounts {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const counts: SuiteCounts = { passed: 0, failed: 0, skipped: 0, failures: [] };
    runner.on(EVENT_TEST_PASS, () => counts.passed++);
    runner.on(EVENT_TEST_PENDING, () => counts.skipped++);
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      counts.failed++;
      counts.failures.push(`${test.fullTitle()}: ${err?.message ?? err}`);
    });
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.MASTERCOPY_TEST_RESULTS;
      if (!file) return;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(counts));
    });
  }
}

// mocha loads reporters with require(): the class must be the module itself.
export = CountingReporter;
