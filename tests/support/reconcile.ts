// The check every fault case ends with: initial stock = Redis stock + open reservations + orders
// (checkout's reconcileEvent), no order written twice (by order id or by ticket), and no order
// without the ticket that bought it (its jti is marked used in Redis with that very order id).
import type { Pool, Redis } from '@sluice/shared';
import { eventKeys } from '@sluice/shared';
import { expect } from 'vitest';
import { formatReport, reconcileEvent } from '../../checkout/src/reconcile/check.ts';

export interface Reconciled {
  orders: { order_id: string; ticket_jti: string; status: string; qty: number }[];
  confirmedUnits: number;
}

export async function expectReconciled(redis: Redis, pool: Pool, prefix: string, evt: string): Promise<Reconciled> {
  const report = await reconcileEvent(redis, pool, prefix, evt);
  expect(report.ok, formatReport(report)).toBe(true);
  for (const row of report.rows) expect(row.left, `${row.sku} stock`).toBeGreaterThanOrEqual(0);

  const { rows } = await pool.query<{ order_id: string; ticket_jti: string; status: string; qty: number }>(
    'SELECT order_id::text, ticket_jti, status, qty FROM orders WHERE event_id = $1',
    [evt],
  );
  expect(new Set(rows.map((r) => r.order_id)).size, 'duplicate order ids').toBe(rows.length);
  expect(new Set(rows.map((r) => r.ticket_jti)).size, 'two orders on one ticket').toBe(rows.length);

  const used = await redis.hgetall(eventKeys(prefix, evt).used);
  const orphans = rows.filter((r) => used[r.ticket_jti] !== r.order_id);
  expect(orphans, 'orders without the ticket that bought them').toEqual([]);
  const confirmedUnits = rows.filter((r) => r.status === 'confirmed').reduce((n, r) => n + r.qty, 0);
  return { orders: rows, confirmedUnits };
}
