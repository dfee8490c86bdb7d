// `npm run reconcile -- --event <id>` against real stores: a consistent sale passes (exit 0), a
// unit that appeared or vanished in Redis is reported (exit 1), bad usage exits 2.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../app.ts';
import { type Sale, saleFixture } from '../testing/sale.ts';
import { reconcileEvent } from './check.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let sale: Sale;
let app: CheckoutApp;

beforeAll(async () => {
  sale = await saleFixture({ products: [{ sku: 'A-1', stock: 5 }, { sku: 'B-1', stock: 3, limitPerShopper: 2 }] });
  app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
  for (const [sku, qty] of [['A-1', 1], ['B-1', 2]] as const) {
    const res = await fetch(`http://127.0.0.1:${app.port}/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await sale.ticket()}` },
      body: JSON.stringify({ sku, qty }),
    });
    expect(res.status).toBe(202);
  }
});
afterAll(async () => {
  await app?.close();
  await sale?.cleanup();
});

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'checkout/src/reconcile/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...sale.workerEnv },
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

it('counts open reservations (no worker ran) and passes', async () => {
  const report = await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt);
  expect(report.rows).toEqual([
    { sku: 'A-1', initial: 5, left: 4, reserved: 1, sold: 0, diff: 0 },
    { sku: 'B-1', initial: 3, left: 1, reserved: 2, sold: 0, diff: 0 },
  ]);
  const { code, out } = await cli(['--event', sale.evt]);
  expect(code).toBe(0);
  expect(out).toMatch(/A-1\s+5\s+4\s+1\s+0\s+0/);
  expect(out).toContain('OK');
});

it('reports drift and exits 1', async () => {
  await sale.r.redis.hincrby(sale.k.stock, 'B-1', 1); // a unit appeared from nowhere
  try {
    const { code, out } = await cli(['--event', sale.evt]);
    expect(code).toBe(1);
    expect(out).toMatch(/B-1\s+3\s+2\s+2\s+0\s+-1/);
    expect(out).toContain('MISMATCH');
  } finally {
    await sale.r.redis.hincrby(sale.k.stock, 'B-1', -1);
  }
});

it('exits 2 without an event', async () => {
  expect((await cli([])).code).toBe(2);
});

it('after a Redis failover or restart, checks the stock first, repairs it and says so', async () => {
  // What a promoted replica that missed a decrement looks like: another run_id vouched for the
  // stock, and one unit sold (reserved) is back on the shelf.
  await sale.r.redis.hset(sale.k.event, 'node', 'a-previous-incarnation');
  await sale.r.redis.hincrby(sale.k.stock, 'A-1', 1);
  const { code, out } = await cli(['--event', sale.evt]);
  expect(out).toContain('stock check after a Redis failover/restart');
  expect(out).toContain(': repaired');
  expect(out).toContain('A-1: 5 left in Redis, 4 by the orders');
  expect(code).toBe(0);
  expect(await sale.r.redis.hget(sale.k.stock, 'A-1')).toBe('4');
  expect(out).toMatch(/A-1\s+5\s+4\s+1\s+0\s+0/);
});
