// One BullMQ worker per event: each event's order queue lives on the event's shard (its prefix
// carries the event's hash tag), so the worker process follows the event list (re-read every
// second, as the gates do) and opens or closes a worker per event.
import { listEventIds, type Logger, type Redis } from '@sluice/shared';
import { type Processor, Worker, type WorkerOptions } from 'bullmq';
import { bullPrefix, ORDER_QUEUE, type OrderJobData } from '../orders/queue.ts';
import type { Written } from './flush.ts';

export interface EventWorkersOptions {
  /** Command connection: reads the event list. */
  redis: Redis;
  /** BullMQ's connection (maxRetriesPerRequest: null); each worker duplicates it for blocking. */
  connection: Redis;
  prefix: string;
  log: Logger;
  process: Processor<OrderJobData, Written>;
  /** Worker options except the connection and prefix. */
  options: Omit<WorkerOptions, 'connection' | 'prefix'>;
  onFailed: (jobId: string | undefined, attempt: number | undefined, err: Error) => void;
}

export class EventWorkers {
  private readonly workers = new Map<string, Worker<OrderJobData, Written>>();
  private readonly o: EventWorkersOptions;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;

  constructor(o: EventWorkersOptions) {
    this.o = o;
  }

  /** First sync, then one per `everyMs`. */
  async start(everyMs = 1000): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((err) => this.o.log.warn({ err }, 'reading the event list for order workers failed'));
    }, everyMs);
  }

  /** Open a worker for every event, close those of removed events. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const ids = new Set(await listEventIds(this.o.redis, this.o.prefix));
        if (this.closed) return;
        for (const evt of ids) if (!this.workers.has(evt)) this.open(evt);
        const gone = [...this.workers].filter(([evt]) => !ids.has(evt));
        for (const [evt] of gone) this.workers.delete(evt);
        await Promise.all(gone.map(([, w]) => w.close()));
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private open(evt: string): void {
    const w = new Worker<OrderJobData, Written>(ORDER_QUEUE, this.o.process, {
      ...this.o.options,
      connection: this.o.connection,
      prefix: bullPrefix(this.o.prefix, evt),
    });
    w.on('failed', (job, err) => this.o.onFailed(job?.id, job?.attemptsMade, err));
    w.on('error', (err) => this.o.log.warn({ err, evt }, 'order worker error'));
    this.workers.set(evt, w);
  }

  /** True when every event's worker runs. */
  running(): boolean {
    for (const w of this.workers.values()) if (!w.isRunning()) return false;
    return true;
  }

  /** Stop following the list; let every worker finish its active jobs. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.syncing?.catch(() => undefined); // its error was logged by the timer or start()
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map((w) => w.close()));
  }
}
