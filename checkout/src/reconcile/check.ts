// Reconciliation: for every product of an event, the initial stock (PostgreSQL) must equal the
// units left in Redis + units held by open reservations + units of pending and confirmed orders
// in PostgreSQL. An order whose reservation is still open is counted once, as the reservation.
// Run it when the sale is quiet: Redis and PostgreSQL are read one after the other.
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

export interface ReconcileReport {
  event: string;
  rows: ReconcileRow[];
  ok: boolean;
}

export async function reconcileEvent(redis: Redis, pool: Pool, prefix: string, evt: string): Promise<ReconcileReport> {
  const k = eventKeys(prefix, evt);
  // Stock and reservations from one atomic snapshot.
  const snap = (await redis.multi().hgetall(k.stock).hgetall(k.reservation).exec()) ?? [];
  const stock = (snap[0]?.[1] ?? {}) as Record<string, string>;
  const reservations = (snap[1]?.[1] ?? {}) as Record<string, string>;

  const products = await pool.query<{ sku: string; initial_stock: number }>(
    'SELECT sku, initial_stock FROM products WHERE event_id = $1 ORDER BY sku',
    [evt],
  );
  const orders = await pool.query<{ order_id: string; sku: string; qty: number }>(
    `SELECT order_id, sku, qty FROM orders WHERE event_id = $1 AND status IN ('pending', 'confirmed')`,
    [evt],
  );

  const reserved = new Map<string, number>();
  for (const json of Object.values(reservations)) {
    const r = parseReservation(json);
    reserved.set(r.sku, (reserved.get(r.sku) ?? 0) + r.qty);
  }
  const sold = new Map<string, number>();
  for (const o of orders.rows) {
    if (reservations[o.order_id] !== undefined) continue; // counted as its reservation
    sold.set(o.sku, (sold.get(o.sku) ?? 0) + o.qty);
  }

  const skus = new Set([...products.rows.map((p) => p.sku), ...Object.keys(stock), ...reserved.keys(), ...sold.keys()]);
  const initial = new Map(products.rows.map((p) => [p.sku, p.initial_stock]));
  const rows = [...skus].sort().map((sku): ReconcileRow => {
    const row = {
      sku,
      initial: initial.get(sku) ?? 0,
      left: Number(stock[sku] ?? 0),
      reserved: reserved.get(sku) ?? 0,
      sold: sold.get(sku) ?? 0,
    };
    return { ...row, diff: row.initial - (row.left + row.reserved + row.sold) };
  });
  return { event: evt, rows, ok: rows.length > 0 && rows.every((r) => r.diff === 0 && r.left >= 0) };
}

/** The report as a fixed-width text table. */
export function formatReport(report: ReconcileReport): string {
  const head = ['sku', 'initial', 'left', 'reserved', 'sold', 'diff'];
  const lines = report.rows.map((r) => [r.sku, r.initial, r.left, r.reserved, r.sold, r.diff].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const verdict = report.ok ? 'OK: every unit accounted for' : 'MISMATCH: see diff (negative = oversold)';
  return [`event ${report.event}`, fmt(head), ...lines.map(fmt), verdict].join('\n');
}
