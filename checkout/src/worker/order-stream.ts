// Reads one event's order stream through the consumer group: XREADGROUP COUNT batchSize (new
// entries, on a connection of its own because it blocks), hands each batch to `handle`, then
// XACK + XDEL of the entries it finished. An entry left pending is delivered again by XCLAIM:
// this consumer's own failures after `retryMs` (doubling per delivery, at most `lockMs`), another
// consumer's entries once that consumer has held them `lockMs` (a killed worker). At least once:
// `handle` is idempotent (orders are unique in PostgreSQL, finalize acts once).
import { eventKeys, ignoring, type Logger, type Redis } from '@sluice/shared';
import { ORDER_GROUP, type OrderJobData, parseOrderEntry } from '../orders/queue.ts';

export interface Delivered {
  id: string;
  /** Null for an entry that is not an order (acknowledged and dropped with a log line). */
  data: OrderJobData | null;
  /** 1 on the first delivery. */
  deliveries: number;
}

export interface StreamOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  /** This process's consumer name (unique per process). */
  consumer: string;
  batchSize: number;
  batchesInFlight: number;
  retryMs: number;
  lockMs: number;
  /** Per entry: true when it is done (acknowledged and deleted), false to deliver it again. */
  handle: (batch: Delivered[]) => Promise<boolean[]>;
}

type Entry = [id: string, fields: string[]];
type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

const isNoGroup = (err: unknown) => err instanceof Error && err.message.startsWith('NOGROUP');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EventOrderStream {
  private readonly key: string;
  private readonly o: StreamOptions;
  private readonly blocking: Redis;
  private readonly inflight = new Set<Promise<void>>();
  /** Ids this consumer is handling now: never claimed back by itself meanwhile. */
  private readonly busy = new Set<string>();
  private closed = false;
  private loop: Promise<void> | undefined;
  private nextClaimAt = 0;
  private nextTidyAt = 0;

  constructor(evt: string, o: StreamOptions) {
    this.key = eventKeys(o.prefix, evt).orders;
    this.o = o;
    this.blocking = o.redis.duplicate();
    // Failed reads reach the read loop, which logs them; ioredis reconnects by itself.
    this.blocking.on('error', ignoring('order stream connection'));
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.o.redis.xgroup('CREATE', this.key, ORDER_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
      // BUSYGROUP: another worker created it first.
    }
  }

  private async run(): Promise<void> {
    let ready = false;
    while (!this.closed) {
      try {
        if (!ready) {
          await this.ensureGroup();
          ready = true;
        }
        if (this.inflight.size >= this.o.batchesInFlight) {
          await Promise.race(this.inflight);
          continue;
        }
        if (Date.now() >= this.nextClaimAt) {
          this.nextClaimAt = Date.now() + Math.min(this.o.retryMs, this.o.lockMs);
          await this.claim();
          if (this.inflight.size >= this.o.batchesInFlight) continue;
        }
        const reply = (await this.blocking.xreadgroup(
          'GROUP', ORDER_GROUP, this.o.consumer,
          'COUNT', this.o.batchSize,
          'BLOCK', Math.min(1000, this.o.retryMs),
          'STREAMS', this.key, '>',
        )) as [string, Entry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length > 0) this.dispatch(entries.map(([id, f]) => ({ id, data: parseOrderEntry(f), deliveries: 1 })));
      } catch (err) {
        if (this.closed) break;
        if (isNoGroup(err)) ready = false; // the stream was deleted (event removed or flushed)
        else {
          this.o.log.warn({ err, key: this.key }, 'reading the order stream failed');
          await sleep(500);
        }
      }
    }
  }

  /** Take over what is due: own failures after their backoff, others' entries after lockMs. */
  private async claim(): Promise<void> {
    const idle = Math.min(this.o.retryMs, this.o.lockMs);
    const rows = (await this.o.redis.xpending(this.key, ORDER_GROUP, 'IDLE', idle, '-', '+', this.o.batchSize)) as PendingRow[];
    const due = rows.filter(([id, consumer, idleMs, n]) => {
      if (consumer !== this.o.consumer) return idleMs >= this.o.lockMs;
      return !this.busy.has(id) && idleMs >= Math.min(this.o.retryMs * 2 ** Math.min(n - 1, 20), this.o.lockMs);
    });
    if (due.length > 0) {
      const deliveries = new Map(due.map(([id, , , n]) => [id, n + 1]));
      const ids = due.map(([id]) => id).slice(0, this.o.batchSize);
      const claimed = (await this.o.redis.xclaim(this.key, ORDER_GROUP, this.o.consumer, idle, ...ids)) as (Entry | null)[];
      const batch: Delivered[] = [];
      for (const e of claimed) {
        // Redis < 7 answers nil for an entry deleted meanwhile; 7 drops it from the reply.
        if (e) batch.push({ id: e[0], data: parseOrderEntry(e[1]), deliveries: deliveries.get(e[0]) ?? 2 });
      }
      if (batch.length > 0) {
        this.o.log.info({ key: this.key, entries: batch.length }, 'order entries claimed for another delivery');
        this.dispatch(batch);
      }
    }
    if (Date.now() >= this.nextTidyAt) {
      this.nextTidyAt = Date.now() + this.o.lockMs;
      await this.forgetIdleConsumers();
    }
  }

  /** Consumers of dead processes stay in the group; drop those with nothing pending. */
  private async forgetIdleConsumers(): Promise<void> {
    const list = (await this.o.redis.xinfo('CONSUMERS', this.key, ORDER_GROUP)) as unknown[][];
    for (const fields of list.slice(0, 100)) {
      const f = new Map<string, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), fields[i + 1]);
      const name = String(f.get('name'));
      if (name !== this.o.consumer && Number(f.get('pending')) === 0 && Number(f.get('idle')) > this.o.lockMs) {
        await this.o.redis.xgroup('DELCONSUMER', this.key, ORDER_GROUP, name);
      }
    }
  }

  private dispatch(batch: Delivered[]): void {
    for (const d of batch) this.busy.add(d.id);
    const run = (async () => {
      for (const d of batch) if (!d.data) this.o.log.error({ key: this.key, id: d.id }, 'order stream entry is not an order: dropped');
      const done = await this.o.handle(batch);
      const finished = batch.filter((d, i) => done[i] === true || !d.data).map((d) => d.id);
      if (finished.length > 0) {
        const ids = finished.slice(0, this.o.batchSize);
        await this.o.redis.multi().xack(this.key, ORDER_GROUP, ...ids).xdel(this.key, ...ids).exec();
      }
    })()
      .catch((err: unknown) => this.o.log.warn({ err, key: this.key, entries: batch.length }, 'order batch failed: it will be delivered again'))
      .finally(() => {
        for (const d of batch) this.busy.delete(d.id);
        this.inflight.delete(run);
      });
    this.inflight.add(run);
  }

  /** Stop reading; let the batches in progress finish. */
  async close(): Promise<void> {
    this.closed = true;
    this.blocking.disconnect(); // ends a blocked read at once; what it had taken stays pending
    await this.loop;
    await Promise.all([...this.inflight]);
  }
}
