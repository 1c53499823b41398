// Tests are TypeScript run by Node 24's type stripping: no loader, no build step.
export default {
  files: ['test/**/*.test.ts'],
  extensions: ['ts'],
  timeout: '60s',
  workerThreads: false, // each test file in its own process: real child processes and signals behave as in production
};
