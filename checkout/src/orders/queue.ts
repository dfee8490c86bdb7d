// The order queue: one Redis Stream per event (`eventKeys(...).orders`, on the event's hash tag, so
// on a Redis Cluster an event's reservations, stock and order entries share one shard). The API
// appends one entry per reservation (field `j`: the JSON below, order id inside); the worker reads
// them through the consumer group `workers` in batches, writes them, then XACKs and XDELs them.
// Delivery is at least once (an entry nobody acknowledged is claimed again), so everything
// downstream is idempotent: unique (event_id, order_id) and (event_id, ticket_jti), finalize acts
// once per reservation. A BullMQ job per order cost the worker and Redis several scripts and round
// trips per order (moveToActive, moveToFinished, locks); a stream entry is read, acknowledged and
// deleted in batches (docs/adr/002-order-stream.md).
import { eventKeys, type Redis } from '@sluice/shared';

/** The consumer group every order worker reads through. */
export const ORDER_GROUP = 'workers';
/** The entry's one field: JSON OrderJobData. */
export const ORDER_FIELD = 'j';

/** What the worker needs to write an order; built from the reservation record. */
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

/** Where an order goes: the stream of its event. */
export interface OrderSink {
  add(data: OrderJobData): Promise<unknown>;
}

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

/** The order streams of every event, written on one shared connection. */
export class OrderStreams implements OrderSink {
  private readonly connection: Redis;
  private readonly prefix: string;

  constructor(connection: Redis, prefix: string) {
    this.connection = connection;
    this.prefix = prefix;
  }

  add(data: OrderJobData): Promise<unknown> {
    return this.addMany(data.evt, [data]);
  }

  /** Append the orders of one event in one pipeline (one slot), in order. */
  async addMany(evt: string, orders: readonly OrderJobData[]): Promise<void> {
    const key = eventKeys(this.prefix, evt).orders;
    const pipe = this.connection.pipeline();
    for (const o of orders) pipe.xadd(key, '*', ORDER_FIELD, JSON.stringify(o));
    const res = (await pipe.exec()) ?? [];
    if (res.length !== orders.length) throw new Error('order stream: missing replies');
    for (const [err] of res) if (err) throw err;
  }

  /**
   * WAIT until `replicas` replicas hold every write this connection made on `evt`'s shard (the
   * entries), at most `timeoutMs`; returns how many did. The pipeline's keyed command routes the
   * keyless WAIT to the event's master on a cluster.
   */
  async replicate(evt: string, replicas: number, timeoutMs: number): Promise<number> {
    const res = await this.connection.pipeline().exists(eventKeys(this.prefix, evt).event).wait(replicas, timeoutMs).exec();
    const [err, n] = res?.[1] ?? [new Error('no WAIT reply'), 0];
    if (err) throw err;
    return Number(n);
  }
}
