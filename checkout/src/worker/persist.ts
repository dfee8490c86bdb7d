// Orders into PostgreSQL: one multi-row INSERT ... ON CONFLICT DO NOTHING per batch (unique
// (event_id, order_id) and (event_id, ticket_jti) make a redelivered job harmless), answering each
// order's status as recorded, whether this statement wrote it or an earlier delivery did. Every
// lookup names the event, so on a table distributed or partitioned by event_id (docs/DATABASE.md)
// it goes to one shard.
import type { Pool } from '@sluice/shared';

export interface OrderRow {
  orderId: string;
  evt: string;
  sku: string;
  qty: number;
  jti: string;
  placeId: string;
  status: 'confirmed' | 'failed';
  failReason: string | null;
  amountCents: number;
  paymentRef: string | null;
  idempotencyKey: string | null;
  createdAt: number;
}

export interface Recorded {
  status: 'pending' | 'confirmed' | 'failed';
  failReason: string | null;
  /** False when the row was already there (a redelivery). */
  inserted: boolean;
}

/** Recorded state per order id; null when no row has this id (its ticket was used by another). */
export type WriteResult = Recorded | null | Error;

// The rows travel as one JSON array (one parameter, JSON.stringify in the worker, parsed once
// by PostgreSQL): cheaper for both sides than twelve text arrays. RETURNING names the rows this
// statement wrote; the others are looked up afterwards (a redelivery, or another order for the
// same ticket), so a batch of new orders costs no second index probe per row.
const INSERT = `
INSERT INTO orders (order_id, event_id, sku, qty, ticket_jti, place_id, status, fail_reason, amount_cents,
                    payment_ref, idempotency_key, created_at)
SELECT order_id, event_id, sku, qty, ticket_jti, place_id, status, fail_reason, amount_cents, payment_ref,
       idempotency_key, to_timestamp(created_ms / 1000.0)
FROM jsonb_to_recordset($1::jsonb) AS t(order_id uuid, event_id text, sku text, qty int, ticket_jti text, place_id text,
     status text, fail_reason text, amount_cents bigint, payment_ref text, idempotency_key text, created_ms bigint)
-- No conflict target: a row that hits either unique key (a redelivery, or another order for
-- the same ticket of this event) is skipped.
ON CONFLICT DO NOTHING
RETURNING order_id, status, fail_reason, true AS inserted`;

interface ResultRow {
  order_id: string;
  status: Recorded['status'];
  fail_reason: string | null;
  inserted: boolean;
}

function params(rows: readonly OrderRow[]): unknown[] {
  return [
    JSON.stringify(
      rows.map((r) => ({
        order_id: r.orderId,
        event_id: r.evt,
        sku: r.sku,
        qty: r.qty,
        ticket_jti: r.jti,
        place_id: r.placeId,
        status: r.status,
        fail_reason: r.failReason,
        amount_cents: r.amountCents,
        payment_ref: r.paymentRef,
        idempotency_key: r.idempotencyKey,
        created_ms: r.createdAt,
      })),
    ),
  ];
}

/** Integrity violations (SQLSTATE class 23) are the row's fault, not the database's. */
const isRowError = (err: unknown): boolean => typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('23');

async function insertBatch(pool: Pool, rows: readonly OrderRow[]): Promise<Map<string, Recorded>> {
  const { rows: found } = await pool.query<ResultRow>(INSERT, params(rows));
  const out = new Map<string, Recorded>();
  for (const r of found) out.set(r.order_id, { status: r.status, failReason: r.fail_reason, inserted: r.inserted });
  const missing = rows.filter((r) => !out.has(r.orderId));
  if (missing.length > 0) {
    // Already there: a redelivery, another order for the same ticket (then no row has this id),
    // or written meanwhile by a concurrent delivery (invisible to the statement's snapshot).
    const again = await pool.query<ResultRow>(
      `SELECT o.order_id, o.status, o.fail_reason, false AS inserted
       FROM orders o JOIN unnest($1::text[], $2::uuid[]) AS m(event_id, order_id) USING (event_id, order_id)`,
      [missing.map((r) => r.evt), missing.map((r) => r.orderId)],
    );
    for (const r of again.rows) out.set(r.order_id, { status: r.status, failReason: r.fail_reason, inserted: false });
  }
  return out;
}

/**
 * Write `rows` in one statement. If a row breaks a constraint (say its product is not in
 * PostgreSQL) the batch is retried row by row so only that order fails.
 */
export async function writeOrders(pool: Pool, rows: readonly OrderRow[]): Promise<WriteResult[]> {
  try {
    const m = await insertBatch(pool, rows);
    return rows.map((r) => m.get(r.orderId) ?? null);
  } catch (err) {
    if (!isRowError(err) || rows.length === 1) {
      if (rows.length === 1 && isRowError(err)) return [err as Error];
      throw err;
    }
  }
  const out: WriteResult[] = [];
  for (const r of rows) {
    try {
      out.push((await insertBatch(pool, [r])).get(r.orderId) ?? null);
    } catch (err) {
      if (!isRowError(err)) throw err;
      out.push(err as Error);
    }
  }
  return out;
}
