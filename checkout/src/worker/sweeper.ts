// Expired reservations: a reservation whose order job never finished. PostgreSQL decides: an
// order written there is finalised as written; with no order the reservation is voided (units
// back, id into `voided`, so a job arriving later writes its order as failed).
import { eventKeys, type Logger, listEventIds, type Pool, type Redis } from '@sluice/shared';
import { type FinalizeItem, finalizeMany } from '../orders/finalize.ts';
import { every, type Repeating } from './every.ts';

export interface SweepDeps {
  redis: Redis;
  pool: Pool;
  prefix: string;
  log: Logger;
  /** Most reservations looked at per event per sweep. */
  batch?: number;
}

export interface SweepResult {
  finalized: number;
  voided: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function sweepOnce(deps: SweepDeps, now: number): Promise<SweepResult> {
  const total: SweepResult = { finalized: 0, voided: 0 };
  for (const evt of await listEventIds(deps.redis, deps.prefix)) {
    const k = eventKeys(deps.prefix, evt);
    const ids = (await deps.redis.zrangebyscore(k.reservations, '-inf', now, 'LIMIT', 0, deps.batch ?? 500)).filter((id) =>
      UUID.test(id),
    );
    if (ids.length === 0) continue;
    const { rows } = await deps.pool.query<{ order_id: string; status: string }>(
      'SELECT order_id, status FROM orders WHERE event_id = $1 AND order_id = ANY($2::uuid[])',
      [evt, ids],
    );
    const written = new Map(rows.map((r) => [r.order_id, r.status]));
    const items: FinalizeItem[] = [];
    for (const orderId of ids) {
      const status = written.get(orderId);
      if (status === 'pending') continue; // being processed by someone else: leave it
      items.push({ evt, orderId, outcome: status === 'confirmed' ? 'confirmed' : status === 'failed' ? 'failed' : 'void' });
    }
    const results = await finalizeMany(deps.redis, deps.prefix, items, now);
    items.forEach((it, i) => {
      if (results[i] !== 'done') return;
      if (it.outcome === 'void') total.voided++;
      else total.finalized++;
    });
  }
  if (total.voided + total.finalized > 0) deps.log.info(total, 'swept expired reservations');
  return total;
}

/** Run sweepOnce every `intervalMs` (never overlapping) until stop(). */
export function startSweeper(deps: SweepDeps, intervalMs: number, now: () => number, onSwept?: (r: SweepResult) => void): Repeating {
  return every(
    intervalMs,
    async () => {
      const r = await sweepOnce(deps, now());
      onSwept?.(r);
    },
    (err) => deps.log.warn({ err }, 'sweep failed; retrying next interval'),
  );
}
