// Order jobs go to BullMQ in micro-batches: every job added in the same turn of the event loop
// (up to MAX_BATCH per event queue) becomes one `addBulk` (one round trip, one MULTI) instead of
// one `add` each. The job id is still the order id, and each caller's promise settles with its
// batch, so the 202 is only sent once its job is in Redis: delivery stays at least once.
import type { JobsOptions, Queue } from 'bullmq';
import type { OrderJobData, OrderSink } from './queue.ts';

/** Most jobs in one addBulk (bounded: one MULTI, one reply). */
export const MAX_BATCH = 256;

interface Waiting {
  name: string;
  data: OrderJobData;
  opts: JobsOptions;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OrderEnqueuer implements OrderSink {
  private readonly pending = new Map<Queue<OrderJobData>, Waiting[]>();
  private scheduled = false;
  private readonly queueOf: (evt: string) => Queue<OrderJobData>;
  private readonly maxBatch: number;

  /** `queueOf` names the queue of an event (OrderQueues.of). */
  constructor(queueOf: (evt: string) => Queue<OrderJobData>, maxBatch = MAX_BATCH) {
    this.queueOf = queueOf;
    this.maxBatch = maxBatch;
  }

  /**
   * Add the job of one order; resolves when the batch holding it is in Redis.
   * @example await enqueuer.add(ORDER_JOB, job, orderJobOptions(job.orderId));
   */
  add(name: string, data: OrderJobData, opts: JobsOptions): Promise<void> {
    const queue = this.queueOf(data.evt);
    return new Promise<void>((resolve, reject) => {
      let batch = this.pending.get(queue);
      if (!batch) {
        batch = [];
        this.pending.set(queue, batch);
      }
      batch.push({ name, data, opts, resolve, reject });
      if (batch.length >= this.maxBatch) {
        this.pending.delete(queue);
        this.send(queue, batch);
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
    for (const [queue, batch] of all) this.send(queue, batch);
  }

  private send(queue: Queue<OrderJobData>, batch: Waiting[]): void {
    queue.addBulk(batch.map((w) => ({ name: w.name, data: w.data, opts: w.opts }))).then(
      () => {
        for (const w of batch) w.resolve();
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
