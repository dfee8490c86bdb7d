// NODE_ENV=production refuses the development settings each service would otherwise start with.
import { describe, expect, it } from 'vitest';
import { productionProblems } from './production.ts';
import { checkoutSchema, dashboardSchema, gateSchema, workerSchema } from './services.ts';

const good = {
  NODE_ENV: 'production',
  REDIS_URL: 'redis://gate:3f9c1e0b6a7d4e21@redis:6379',
  DATABASE_URL: 'postgres://sluice:b61d0f7a9c2e@postgres:5432/sluice',
  ADMIN_TOKEN: 'x'.repeat(32),
  SLUICE_KEY_ENCRYPTION_KEY: 'ab'.repeat(32),
};

describe('production settings', () => {
  it('accepts explicit secrets', () => {
    for (const s of [gateSchema, checkoutSchema, workerSchema, dashboardSchema]) expect(productionProblems(s, good)).toEqual([]);
  });

  it('refuses a generated admin token, clear signing keys and development passwords, naming the variable', () => {
    expect(productionProblems(dashboardSchema, { ...good, ADMIN_TOKEN: '' }).join()).toMatch(/ADMIN_TOKEN is empty/);
    expect(productionProblems(dashboardSchema, { ...good, ADMIN_TOKEN: 'short' }).join()).toMatch(/ADMIN_TOKEN/);
    expect(productionProblems(gateSchema, { ...good, SLUICE_KEY_ENCRYPTION_KEY: '' }).join()).toMatch(/SLUICE_KEY_ENCRYPTION_KEY/);
    expect(productionProblems(gateSchema, { ...good, REDIS_URL: 'redis://redis:6379' }).join()).toMatch(/REDIS_URL has no password/);
    expect(productionProblems(checkoutSchema, { ...good, REDIS_URL: 'redis://checkout:dev-checkout-change-me@redis:6379' }).join()).toMatch(
      /REDIS_URL uses a development password/,
    );
    expect(productionProblems(workerSchema, { ...good, DATABASE_URL: 'postgres://sluice:sluice@postgres/sluice' }).join()).toMatch(
      /DATABASE_URL uses a development password/,
    );
    // Each service checks only its own settings: checkout has no admin token or signing keys.
    expect(productionProblems(checkoutSchema, { ...good, ADMIN_TOKEN: '', SLUICE_KEY_ENCRYPTION_KEY: '' })).toEqual([]);
  });

  it('leaves development alone', () => {
    expect(productionProblems(dashboardSchema, { ADMIN_TOKEN: '', REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([]);
  });
});
