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
