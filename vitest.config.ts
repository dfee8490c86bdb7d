import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code (*.test.ts); integration tests talk to the real Redis and
// PostgreSQL (*.itest.ts); browser tests drive Debian's Chromium (*.browser.ts); fault cases
// that take minutes live in *.fault.ts and run with `npm run test:faults`.
export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          // One file at a time. Two at a time cut the suite from ~13 to ~9 min, but the final CI run
          // of session 4 failed open.itest's 200,000-shopper opening (36 chunks reported instead
          // of 39) with another file on the second core; the same test failed under two CPU
          // spinners alone and passed on a rerun. Until that test's behaviour under CPU pressure
          // is understood, files do not share the 2 cores.
          maxWorkers: 1,
          include: ['{shared,gate,checkout,dashboard,loadtest,scripts,deploy,tests}/**/*.{test,itest,browser}.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', '*/build/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['**/*.fault.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
        },
      },
    ],
  },
});
