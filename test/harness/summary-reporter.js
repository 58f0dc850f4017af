// Ends every Jest run with one plain line, `N passed, N failed`, that CI and people read.
// A suite that could not run at all (a compile error, a failing beforeAll) counts as a failure:
// otherwise a broken file would vanish from the totals.

/** @implements {import('@jest/reporters').Reporter} */
export default class SummaryReporter {
  /** @param {unknown} _contexts @param {import('@jest/test-result').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed${tail}\n`);
  }

  getLastError() {
    return undefined;
  }
}
