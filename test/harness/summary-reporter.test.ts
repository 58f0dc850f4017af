import { describe, expect, it } from '@jest/globals';
import { summaryLine, type SummaryCounts } from './summary-reporter.ts';

const none: SummaryCounts = {
  numPassedTests: 0,
  numFailedTests: 0,
  numRuntimeErrorTestSuites: 0,
  numPendingTests: 0,
  numTodoTests: 0,
};

describe('the summary line', () => {
  it('reads "N passed, N failed"', () => {
    expect(summaryLine({ ...none, numPassedTests: 12, numFailedTests: 1 })).toBe(
      '12 passed, 1 failed',
    );
  });

  it('counts a suite that could not run as a failure', () => {
    expect(summaryLine({ ...none, numPassedTests: 3, numRuntimeErrorTestSuites: 2 })).toBe(
      '3 passed, 2 failed',
    );
  });

  it('mentions skipped tests only when there are some', () => {
    expect(summaryLine({ ...none, numPassedTests: 3, numPendingTests: 1 })).toBe(
      '3 passed, 0 failed, 1 skipped',
    );
  });
});
