// The order queue (BullMQ): the API adds one job per reservation with the order id as job id;
// the worker turns jobs into rows. Delivery is at least once, so everything downstream is
// idempotent (unique (event_id, order_id) and (event_id, ticket_jti), finalize acts once per reservation).
// One queue per event, its BullMQ prefix carrying the event's hash tag: on a Redis Cluster an
// event's reservation, stock and order jobs live on the same shard, so a busy sale loads only its
// shard and BullMQ's multi-key scripts stay within one slot (BullMQ requires a `{...}` prefix).
import { eventKeys, type Redis } from '@sluice/shared';
import { type JobsOptions, Queue } from 'bullmq';

export const ORDER_QUEUE = 'orders';
export const ORDER_JOB = 'order';

/**
 * BullMQ key prefix of one event's order queue, under the Sluice prefix (a test prefix's cleanup
 * removes the queue too). @example bullPrefix('sluice', 'demo') === 'sluice:{demo}:bull'
 */
export function bullPrefix(prefix: string, evt: string): string {
  return `${prefix}:{${evt}}:bull`;
}

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

export const ORDER_ATTEMPTS = 8;

export const orderJobOptions = (orderId: string): JobsOptions => ({
  jobId: orderId,
  attempts: ORDER_ATTEMPTS,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 10_000, age: 3600 },
  removeOnFail: { count: 10_000, age: 7 * 86_400 },
});

/** Where an order job goes: the queue of its event. */
export interface OrderSink {
  add(name: string, data: OrderJobData, opts: JobsOptions): Promise<unknown>;
}

/** The order queues of every event, opened on first use, on one shared connection. */
export class OrderQueues implements OrderSink {
  private readonly queues = new Map<string, Queue<OrderJobData>>();
  private readonly connection: Redis;
  private readonly prefix: string;
  private readonly onError: (err: Error) => void;

  constructor(connection: Redis, prefix: string, onError: (err: Error) => void) {
    this.connection = connection;
    this.prefix = prefix;
    this.onError = onError;
  }

  /** The queue of `evt` (the caller has checked the id against the event store). */
  of(evt: string): Queue<OrderJobData> {
    let q = this.queues.get(evt);
    if (!q) {
      q = new Queue<OrderJobData>(ORDER_QUEUE, { connection: this.connection, prefix: bullPrefix(this.prefix, evt) });
      q.on('error', this.onError);
      this.queues.set(evt, q);
    }
    return q;
  }

  add(name: string, data: OrderJobData, opts: JobsOptions): Promise<unknown> {
    return this.of(data.evt).add(name, data, opts);
  }

  /**
   * WAIT until `replicas` replicas hold every write this connection made on `evt`'s shard (the
   * job adds), at most `timeoutMs`; returns how many did. The pipeline's keyed command routes
   * the keyless WAIT to the event's master on a cluster.
   */
  async replicate(evt: string, replicas: number, timeoutMs: number): Promise<number> {
    const res = await this.connection.pipeline().exists(eventKeys(this.prefix, evt).event).wait(replicas, timeoutMs).exec();
    const [err, n] = res?.[1] ?? [new Error('no WAIT reply'), 0];
    if (err) throw err;
    return Number(n);
  }

  async close(): Promise<void> {
    const all = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(all.map((q) => q.close()));
  }
}
