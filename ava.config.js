// Tests are TypeScript run by Node 24's type stripping: no loader, no build step.

/**
 * Tests that load the whole machine (1,000 builds through real agents; 1,000 requests at once). `npm test` runs them
 * alone after the rest (scripts/test.sh), so that neither they nor the timing-sensitive tests
 * run beside them are disturbed; `npx ava` runs everything together.
 */
export const RUN_ALONE = ['test/faults/thousand-builds.test.ts', 'test/cli/start-concurrency.test.ts'];

export default {
  files: ['test/**/*.test.ts', ...(process.env.JONKKINS_TEST_SKIP_ALONE ? RUN_ALONE.map((f) => `!${f}`) : [])],
  extensions: ['ts'],
  timeout: '60s',
  workerThreads: false, // each test file in its own process: real child processes and signals behave as in production
};
