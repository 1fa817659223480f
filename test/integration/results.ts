/** The results file the in-host suite writes: code-server's host has no exit code. */
export interface IntegrationResults {
  readonly vscodeVersion: string;
  readonly appHost: string;
  readonly passed: number;
  readonly failed: number;
  readonly tests: readonly { readonly title: string; readonly state: 'passed' | 'failed'; readonly error?: string }[];
}

/** Environment variable naming the results file. */
export const RESULTS_ENV = 'INITLENS_TEST_RESULTS';
