// The order queue: one Redis Stream per event (`eventKeys(...).orders`, on the event's hash tag, so
// on a Redis Cluster an event's reservations, stock and order entries share one shard). The
// purchase script (purchase-11.lua) appends one entry per reservation in the same atomic call
// (field `j`: the JSON below, order id inside); the worker reads them through the consumer group
// `workers` in batches, writes them, then XACKs and XDELs them.
// Delivery is at least once (an entry nobody acknowledged is claimed again), so everything
// downstream is idempotent: unique (event_id, order_id) and (event_id, ticket_jti), finalize acts
// once per reservation. A BullMQ job per order cost the worker and Redis several scripts and round
// trips per order (moveToActive, moveToFinished, locks); a stream entry is read, acknowledged and
// deleted in batches (docs/adr/002-order-stream.md).

/** The consumer group every order worker reads through. */
export const ORDER_GROUP = 'workers';
/** The entry's one field: JSON OrderJobData. */
export const ORDER_FIELD = 'j';

/** What the worker needs to write an order (written by purchase-11.lua with the reservation). */
export interface OrderJobData {
  orderId: string;
  evt: string;
  sku: string;
  qty: number;
  jti: string;
  sub: string;
  unitPriceCents: number;
  idempotencyKey: string | null;
  /** When the reservation was made (ms). */
  at: number;
}

/** Deliveries of one entry before a payment whose outcome stays unknown fails its order. */
export const ORDER_ATTEMPTS = 8;

/** Parse an entry's field; null when it is not an order (logged and dropped by the worker). */
export function parseOrderEntry(fields: readonly string[]): OrderJobData | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== ORDER_FIELD) continue;
    try {
      const d = JSON.parse(fields[i + 1]!) as OrderJobData;
      if (typeof d.orderId === 'string' && typeof d.evt === 'string' && typeof d.qty === 'number') return d;
    } catch {
      return null; // not JSON: the caller reports the malformed entry
    }
  }
  return null;
}
