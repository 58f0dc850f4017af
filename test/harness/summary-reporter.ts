// Ends every Jest run with one plain line, `N passed, N failed`, that CI and people read.
// A suite that could not run at all (a compile error, a failing beforeAll) counts as a failure:
// otherwise a broken file would vanish from the totals. Node runs this file's TypeScript
// directly (Jest loads reporters without its transform).

import {
  DefaultReporter,
  SummaryReporter,
  type Reporter,
  type ReporterOnStartOptions,
  type Test,
  type TestContext,
} from '@jest/reporters';
import type { AggregatedResult, TestCaseResult, TestResult } from '@jest/test-result';
import type { Config } from '@jest/types';

export type SummaryCounts = Pick<
  AggregatedResult,
  | 'numPassedTests'
  | 'numFailedTests'
  | 'numRuntimeErrorTestSuites'
  | 'numPendingTests'
  | 'numTodoTests'
>;

export function summaryLine(results: SummaryCounts): string {
  const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  const skipped = results.numPendingTests + results.numTodoTests;
  const tail = skipped > 0 ? `, ${String(skipped)} skipped` : '';
  return `${String(results.numPassedTests)} passed, ${String(failed)} failed${tail}`;
}

/**
 * Jest's default console output, then its summary, then our line last. It replaces the
 * 'default' reporter: Jest always appends its own summary after every listed reporter, which
 * would push our line off the end.
 */
export default class KcloudReporter implements Reporter {
  private readonly out: DefaultReporter;
  private readonly summary: SummaryReporter;

  constructor(globalConfig: Config.GlobalConfig) {
    this.out = new DefaultReporter(globalConfig);
    this.summary = new SummaryReporter(globalConfig);
  }

  onRunStart(results: AggregatedResult, options: ReporterOnStartOptions): void {
    this.out.onRunStart(results, options);
    this.summary.onRunStart(results, options);
  }

  onTestStart(test: Test): void {
    this.out.onTestStart(test);
  }

  onTestCaseResult(test: Test, result: TestCaseResult): void {
    this.out.onTestCaseResult(test, result);
  }

  onTestResult(test: Test, result: TestResult, aggregated: AggregatedResult): void {
    this.out.onTestResult(test, result, aggregated);
  }

  onRunComplete(contexts: Set<TestContext>, results: AggregatedResult): void {
    this.out.onRunComplete();
    this.summary.onRunComplete(contexts, results);
    process.stdout.write(`\n${summaryLine(results)}\n`);
  }

  getLastError(): Error | undefined {
    return this.out.getLastError() ?? this.summary.getLastError();
  }
}
