// Order entries go to the event's stream in micro-batches: every order added in the same turn of
// the event loop (up to MAX_BATCH per event) becomes one pipeline of XADDs (one round trip)
// instead of one call each. Each caller's promise settles with its batch, so the 202 is only sent
// once its entry is in Redis: delivery stays at least once.
import type { OrderJobData, OrderSink } from './queue.ts';

/** Most entries in one pipeline (bounded: one write, one reply). */
export const MAX_BATCH = 256;

/** Appends the orders of one event, in order, or rejects (OrderStreams.addMany). */
export type SendOrders = (evt: string, orders: readonly OrderJobData[]) => Promise<void>;

interface Waiting {
  data: OrderJobData;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OrderEnqueuer implements OrderSink {
  private readonly pending = new Map<string, Waiting[]>();
  private scheduled = false;
  private readonly sendOrders: SendOrders;
  private readonly maxBatch: number;

  constructor(send: SendOrders, maxBatch = MAX_BATCH) {
    this.sendOrders = send;
    this.maxBatch = maxBatch;
  }

  /**
   * Add the entry of one order; resolves when the batch holding it is in Redis.
   * @example await enqueuer.add(jobFromReservation(evt, orderId, rec, null));
   */
  add(data: OrderJobData): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let batch = this.pending.get(data.evt);
      if (!batch) {
        batch = [];
        this.pending.set(data.evt, batch);
      }
      batch.push({ data, resolve, reject });
      if (batch.length >= this.maxBatch) {
        this.pending.delete(data.evt);
        this.send(data.evt, batch);
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending];
    this.pending.clear();
    for (const [evt, batch] of all) this.send(evt, batch);
  }

  private send(evt: string, batch: Waiting[]): void {
    this.sendOrders(
      evt,
      batch.map((w) => w.data),
    ).then(
      () => {
        for (const w of batch) w.resolve();
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
