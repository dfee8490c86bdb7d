// Every service refuses to start on a bad setting, naming the variable (and the accepted form).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const cases: Array<[string, string, Record<string, string>, RegExp]> = [
  ['gate', 'gate/src/main.ts', { GATE_PORT: 'abc' }, /GATE_PORT must be an integer/],
  ['gate', 'gate/src/main.ts', { REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a URL/],
  ['checkout', 'checkout/src/main.ts', { CHECKOUT_PORT: '99999' }, /CHECKOUT_PORT must be an integer/],
  ['checkout', 'checkout/src/main.ts', { DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must be a URL/],
  ['worker', 'checkout/src/worker/main.ts', { PAYMENT_DECLINE_RATE: 'often' }, /PAYMENT_DECLINE_RATE must be a number/],
  ['dashboard', 'dashboard/src/main.ts', { DASHBOARD_PORT: '-1' }, /DASHBOARD_PORT must be an integer/],
  // Production refuses what development generates or ships (shared/src/config/production.ts).
  ['dashboard', 'dashboard/src/main.ts', { NODE_ENV: 'production', ADMIN_TOKEN: '' }, /refusing to start in production: .*ADMIN_TOKEN is empty/],
  ['gate', 'gate/src/main.ts', { NODE_ENV: 'production', SLUICE_KEY_ENCRYPTION_KEY: '' }, /SLUICE_KEY_ENCRYPTION_KEY is empty/],
  [
    'checkout',
    'checkout/src/main.ts',
    { NODE_ENV: 'production', REDIS_URL: 'redis://checkout:dev-checkout-change-me@127.0.0.1:6379' },
    /REDIS_URL uses a development password/,
  ],
];

describe('bad configuration stops a service', () => {
  it.each(cases)('%s with %j', (_name, entry, env, message) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
