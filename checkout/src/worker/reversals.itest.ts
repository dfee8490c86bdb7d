// Charged, then failed (issue 16 item 3): the worker gives the money back through the payment
// provider and reconcile reports what is still owed. Real Redis, PostgreSQL, BullMQ and worker;
// the provider is the simulator, whose ledger says what was charged and given back.
import { randomUUID } from 'node:crypto';
import { ticketDigest } from '@sluice/shared';
import { afterEach, expect, it } from 'vitest';
import { reserve } from '../purchase/reserve.ts';
import { reconcileEvent } from '../reconcile/check.ts';
import { type Sale, saleFixture, until } from '../testing/sale.ts';
import { SimulatedPayments } from './payment.ts';
import { type OrderWorker, startWorker } from './worker.ts';

let sale: Sale;
let worker: OrderWorker | undefined;

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await sale?.cleanup();
});

async function setup(sim: SimulatedPayments, attempts?: number) {
  sale = await saleFixture({ products: [{ sku: 'SKU-1', stock: 10, priceCents: 2500 }] });
  worker = await startWorker(sale.workerConfig, { pool: sale.db.pool, payments: sim, ...(attempts ? { attempts } : {}) });
}

/** What checkout does: the purchase script (reservation and order entry); `ttlMs` is the reservation's life. */
async function order(jti: string, ttlMs = 60_000): Promise<string> {
  const orderId = randomUUID();
  const now = Date.now();
  await reserve(sale.r.redis, sale.r.prefix, {
    evt: sale.evt, jti, sub: jti, ticketDigest: ticketDigest(await sale.ticket(jti)), sku: 'SKU-1', qty: 1, orderId,
    idempotencyKey: null, now, expiresAt: now + ttlMs,
  });
  return orderId;
}

const reversal = async (orderId: string) =>
  (await sale.db.pool.query('SELECT kind, status, outcome, reason FROM payment_reversals WHERE order_id = $1', [orderId])).rows[0];
const orderRow = async (orderId: string) =>
  (await sale.db.pool.query('SELECT status, fail_reason, payment_ref FROM orders WHERE order_id = $1', [orderId])).rows[0];

it('refunds an order confirmed by the provider after the sweeper returned its units', async () => {
  const sim = new SimulatedPayments({ latencyMs: 3000, declineRate: 0 }); // slower than the reservation
  await setup(sim);
  const orderId = await order('late', 1000);
  await until(async () => (await reversal(orderId))?.status === 'done', 'the refund', 30_000);
  expect(await orderRow(orderId)).toMatchObject({ status: 'failed', fail_reason: 'expired' });
  expect(await reversal(orderId)).toMatchObject({ kind: 'refund', outcome: 'reversed', reason: 'expired' });
  expect(sim.stateOf(orderId)).toBe('refunded');
  expect(sim.held()).toBe(0);
  const report = await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt);
  expect(report.payments).toMatchObject({ chargedFailed: 1, reversed: 1, pendingCount: 0, unrecordedCount: 0 });
  expect(report.ok).toBe(true);
});

it('refunds the second order on a ticket already ordered, keeping the first', async () => {
  const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0 });
  await setup(sim);
  const first = await order('twice');
  await until(async () => (await orderRow(first))?.status === 'confirmed', 'the first order');
  // A Redis failover lost the ticket's `used` mark and count: the same ticket reserves again.
  await sale.r.redis.hdel(sale.k.used, 'twice');
  await sale.r.redis.hdel(sale.k.bought, 'twice');
  const second = await order('twice');
  await until(async () => (await reversal(second))?.status === 'done', 'the refund of the duplicate');
  expect(await orderRow(second)).toBeUndefined();
  expect(await reversal(second)).toMatchObject({ kind: 'refund', reason: 'ticket_already_ordered' });
  expect(sim.stateOf(first)).toBe('charged');
  expect(sim.stateOf(second)).toBe('refunded');
  expect(sim.held()).toBe(2500);
});

it('voids a charge whose outcome stayed unknown on the last attempt', async () => {
  const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0, lostAnswerRate: 1 });
  await setup(sim, 1);
  const orderId = await order('lost', 60_000);
  await until(async () => (await reversal(orderId))?.status === 'done', 'the void');
  expect(await orderRow(orderId)).toMatchObject({ status: 'failed', fail_reason: 'payment_error', payment_ref: null });
  expect(await reversal(orderId)).toMatchObject({ kind: 'void', outcome: 'reversed' });
  expect(sim.stateOf(orderId)).toBe('voided');
  expect(sim.held()).toBe(0);
});

it('keeps a reversal the provider did not answer pending, reports it, and settles it when the provider is back', async () => {
  const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0 });
  await setup(sim);
  const first = await order('dup');
  await until(async () => (await orderRow(first))?.status === 'confirmed', 'the first order');
  await sale.r.redis.hdel(sale.k.used, 'dup');
  await sale.r.redis.hdel(sale.k.bought, 'dup');
  // The duplicate is charged, then the provider goes away before it can be refunded.
  const orig = sim.refund.bind(sim);
  let calls = 0;
  sim.refund = async (req) => {
    calls++;
    sim.outage = true;
    return orig(req);
  };
  const second = await order('dup');
  await until(async () => (await reversal(second))?.status === 'pending' && calls > 0, 'a pending refund');
  const report = await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt);
  expect(report.ok).toBe(false);
  expect(report.payments).toMatchObject({ chargedFailed: 1, reversed: 0, pendingCount: 1 });
  expect(report.payments.pending[0]).toMatchObject({ orderId: second, kind: 'refund', reason: 'ticket_already_ordered', amountCents: 2500 });
  expect(sim.stateOf(second)).toBe('charged');

  sim.outage = false;
  sim.refund = orig;
  await until(async () => (await reversal(second))?.status === 'done', 'the retried refund');
  expect(sim.stateOf(second)).toBe('refunded');
  expect((await reconcileEvent(sale.r.redis, sale.db.pool, sale.r.prefix, sale.evt)).ok).toBe(true);
});
