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
          // Two files at a time on the 2-core machine (Vitest's default there is cores - 1 = 1):
          // most files spend their time waiting (services starting, ticks, timeouts), not on CPU,
          // and every file already runs beside others safely (its own Redis prefix, PostgreSQL
          // schema and ports), as it must when several developers share the machine.
          maxWorkers: 2,
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
