// Reconciliation: for every product of an event, the initial stock (PostgreSQL) must equal the
// units left in Redis + units held by open reservations + units of pending and confirmed orders
// in PostgreSQL. An order whose reservation is still open is counted once, as the reservation.
// Run it when the sale is quiet: Redis and PostgreSQL are read one after the other.
// Payments: every order that was charged (or may have been) and then failed must have had its
// money given back (payment_reversals 'done'); one still pending, or a failed order carrying a
// payment reference with no reversal at all, is reported and makes the check fail.
import { eventKeys, type Pool, type Redis } from '@sluice/shared';
import { parseReservation } from '../orders/reservation.ts';

export interface ReconcileRow {
  sku: string;
  initial: number;
  left: number;
  reserved: number;
  sold: number;
  /** initial - (left + reserved + sold): 0 when consistent, < 0 when oversold. */
  diff: number;
}

export interface PaymentsReport {
  /** Orders charged (or with an unknown charge outcome) and then failed. */
  chargedFailed: number;
  /** Of those, given back (refunded / voided) by the provider. */
  reversed: number;
  /** Reversals recorded and not yet answered by the provider (up to 20 listed, `pendingCount` in all). */
  pending: { orderId: string; kind: string; reason: string; amountCents: number; attempts: number }[];
  pendingCount: number;
  /** Failed orders with a payment reference and no reversal recorded (up to 20 listed). */
  unrecorded: string[];
  unrecordedCount: number;
}

export interface ReconcileReport {
  event: string;
  rows: ReconcileRow[];
  payments: PaymentsReport;
  ok: boolean;
}

const LISTED = 20;

async function paymentsReport(pool: Pool, evt: string): Promise<PaymentsReport> {
  const counts = await pool.query<{ total: string; done: string }>(
    `SELECT count(*) AS total, count(*) FILTER (WHERE status = 'done') AS done FROM payment_reversals WHERE event_id = $1`,
    [evt],
  );
  const pending = await pool.query<{ order_id: string; kind: string; reason: string; amount_cents: string; attempts: number }>(
    `SELECT order_id, kind, reason, amount_cents, attempts FROM payment_reversals
     WHERE event_id = $1 AND status = 'pending' ORDER BY created_at LIMIT ${LISTED}`,
    [evt],
  );
  const unrecordedWhere = `FROM orders o WHERE o.event_id = $1 AND o.status = 'failed' AND o.payment_ref IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM payment_reversals r WHERE r.event_id = o.event_id AND r.order_id = o.order_id)`;
  const unrecordedCount = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n ${unrecordedWhere}`, [evt])).rows[0]!.n);
  const unrecorded = (await pool.query<{ order_id: string }>(`SELECT o.order_id ${unrecordedWhere} ORDER BY o.order_id LIMIT ${LISTED}`, [evt])).rows.map(
    (r) => r.order_id,
  );
  const total = Number(counts.rows[0]!.total);
  const done = Number(counts.rows[0]!.done);
  return {
    chargedFailed: total + unrecordedCount,
    reversed: done,
    pending: pending.rows.map((r) => ({
      orderId: r.order_id,
      kind: r.kind,
      reason: r.reason,
      amountCents: Number(r.amount_cents),
      attempts: r.attempts,
    })),
    pendingCount: total - done,
    unrecorded,
    unrecordedCount,
  };
}

/** Initial stock per product and units of pending/confirmed orders, from PostgreSQL. */
export async function readDatabaseSide(
  pool: Pool,
  evt: string,
): Promise<{ products: { sku: string; initial_stock: number }[]; orders: { order_id: string; sku: string; qty: number }[] }> {
  const products = await pool.query<{ sku: string; initial_stock: number }>(
    'SELECT sku, initial_stock FROM products WHERE event_id = $1 ORDER BY sku',
    [evt],
  );
  const orders = await pool.query<{ order_id: string; sku: string; qty: number }>(
    `SELECT order_id, sku, qty FROM orders WHERE event_id = $1 AND status IN ('pending', 'confirmed')`,
    [evt],
  );
  return { products: products.rows, orders: orders.rows };
}

/**
 * The per-product rows from a Redis snapshot (read FIRST: an order finalised between the two
 * reads is then seen both as a reservation and as a row, and counted once) and the database side.
 */
export function stockRows(
  stock: Record<string, string>,
  reservations: Record<string, string>,
  db: Awaited<ReturnType<typeof readDatabaseSide>>,
): ReconcileRow[] {
  const reserved = new Map<string, number>();
  for (const json of Object.values(reservations)) {
    const r = parseReservation(json);
    reserved.set(r.sku, (reserved.get(r.sku) ?? 0) + r.qty);
  }
  const sold = new Map<string, number>();
  for (const o of db.orders) {
    if (reservations[o.order_id] !== undefined) continue; // counted as its reservation
    sold.set(o.sku, (sold.get(o.sku) ?? 0) + o.qty);
  }
  const skus = new Set([...db.products.map((p) => p.sku), ...Object.keys(stock), ...reserved.keys(), ...sold.keys()]);
  const initial = new Map(db.products.map((p) => [p.sku, p.initial_stock]));
  return [...skus].sort().map((sku): ReconcileRow => {
    const row = {
      sku,
      initial: initial.get(sku) ?? 0,
      left: Number(stock[sku] ?? 0),
      reserved: reserved.get(sku) ?? 0,
      sold: sold.get(sku) ?? 0,
    };
    return { ...row, diff: row.initial - (row.left + row.reserved + row.sold) };
  });
}

export async function reconcileEvent(redis: Redis, pool: Pool, prefix: string, evt: string): Promise<ReconcileReport> {
  const k = eventKeys(prefix, evt);
  // Stock and reservations from one atomic snapshot.
  const snap = (await redis.multi().hgetall(k.stock).hgetall(k.reservation).exec()) ?? [];
  const stock = (snap[0]?.[1] ?? {}) as Record<string, string>;
  const reservations = (snap[1]?.[1] ?? {}) as Record<string, string>;
  const rows = stockRows(stock, reservations, await readDatabaseSide(pool, evt));
  const payments = await paymentsReport(pool, evt);
  const stockOk = rows.length > 0 && rows.every((r) => r.diff === 0 && r.left >= 0);
  const paymentsOk = payments.pendingCount === 0 && payments.unrecordedCount === 0;
  return { event: evt, rows, payments, ok: stockOk && paymentsOk };
}

/** The report as a fixed-width text table. */
export function formatReport(report: ReconcileReport): string {
  const head = ['sku', 'initial', 'left', 'reserved', 'sold', 'diff'];
  const lines = report.rows.map((r) => [r.sku, r.initial, r.left, r.reserved, r.sold, r.diff].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const stockOk = report.rows.length > 0 && report.rows.every((r) => r.diff === 0 && r.left >= 0);
  const p = report.payments;
  const pay = [
    `payments: ${p.chargedFailed} charged then failed, ${p.reversed} given back, ${p.pendingCount} pending, ${p.unrecordedCount} with no reversal recorded`,
    ...p.pending.map((x) => `  pending ${x.kind} ${x.orderId} (${x.reason}, ${x.amountCents} cents, ${x.attempts} attempts)`),
    ...p.unrecorded.map((id) => `  not recorded ${id}`),
  ];
  const verdict = report.ok
    ? 'OK: every unit accounted for, every failed charge given back'
    : stockOk
      ? 'MISMATCH: money of failed orders not given back (see payments)'
      : 'MISMATCH: see diff (negative = oversold)';
  return [`event ${report.event}`, fmt(head), ...lines.map(fmt), ...pay, verdict].join('\n');
}
