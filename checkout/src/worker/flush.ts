// One batch of orders: write them (one INSERT), then close their reservations (one pipeline)
// with the status PostgreSQL recorded. A job resolves only after both, so a crash in between
// leaves the job to run again, and both steps are idempotent.
import type { Logger, Pool, Redis } from '@sluice/shared';
import { type FinalizeItem, finalizeMany } from '../orders/finalize.ts';
import { type OrderRow, writeOrders } from './persist.ts';

export interface FlushDeps {
  pool: Pool;
  redis: Redis;
  prefix: string;
  now: () => number;
  log: Logger;
}

export interface Written {
  orderId: string;
  status: 'confirmed' | 'failed';
  failReason: string | null;
  /** False for a redelivered order that was already in PostgreSQL. */
  inserted: boolean;
}

export async function flushOrders(deps: FlushDeps, rows: OrderRow[]): Promise<(Written | Error)[]> {
  const written = await writeOrders(deps.pool, rows);

  const out: (Written | Error)[] = [];
  const toFinalize: { index: number; item: FinalizeItem }[] = [];
  rows.forEach((row, i) => {
    const w = written[i];
    if (w instanceof Error) {
      out[i] = w;
      return;
    }
    if (w?.status === 'pending') {
      out[i] = new Error(`order ${row.orderId} is recorded as pending`);
      return;
    }
    // No row under this id means its ticket is already on another order: this one failed.
    const status = w ? w.status : 'failed';
    const failReason = w ? w.failReason : 'ticket_already_ordered';
    out[i] = { orderId: row.orderId, status, failReason, inserted: w?.inserted ?? false };
    toFinalize.push({ index: i, item: { evt: row.evt, orderId: row.orderId, outcome: status } });
  });

  const results = await finalizeMany(
    deps.redis,
    deps.prefix,
    toFinalize.map((t) => t.item),
    deps.now(),
  );
  const lateConfirmed: FinalizeItem[] = [];
  toFinalize.forEach(({ index, item }, j) => {
    const r = results[j];
    if (r instanceof Error) out[index] = r;
    else if (r === 'voided' && item.outcome === 'confirmed') lateConfirmed.push(item);
  });
  if (lateConfirmed.length > 0) {
    // The sweeper returned these units before the order was written: the order cannot stand.
    await deps.pool.query(
      `UPDATE orders o SET status = 'failed', fail_reason = 'expired', updated_at = now()
       FROM unnest($1::text[], $2::uuid[]) AS l(event_id, order_id)
       WHERE o.event_id = l.event_id AND o.order_id = l.order_id AND o.status = 'confirmed'`,
      [lateConfirmed.map((l) => l.evt), lateConfirmed.map((l) => l.orderId)],
    );
    deps.log.warn({ orders: lateConfirmed.length }, 'orders written after their reservation expired: marked failed');
    for (const { orderId: id } of lateConfirmed) {
      const i = rows.findIndex((r) => r.orderId === id);
      out[i] = { orderId: id, status: 'failed', failReason: 'expired', inserted: false };
    }
  }
  return out;
}
