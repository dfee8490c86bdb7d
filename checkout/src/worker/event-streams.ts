// One stream reader per event: each event's order stream lives on the event's shard (its key
// carries the event's hash tag), so the worker process follows the event list (re-read every
// second, as the gates do) and opens or closes a reader per event.
import { listEventIds, type Redis } from '@sluice/shared';
import { EventOrderStream, type StreamOptions } from './order-stream.ts';

export interface EventStreamsOptions extends Omit<StreamOptions, 'redis'> {
  redis: Redis;
}

export class EventStreams {
  private readonly readers = new Map<string, EventOrderStream>();
  private readonly o: EventStreamsOptions;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;

  constructor(o: EventStreamsOptions) {
    this.o = o;
  }

  /** First sync, then one per `everyMs`. */
  async start(everyMs = 1000): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((err) => this.o.log.warn({ err }, 'reading the event list for order streams failed'));
    }, everyMs);
  }

  /** Open a reader for every event, close those of removed events. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const ids = new Set(await listEventIds(this.o.redis, this.o.prefix));
        if (this.closed) return;
        for (const evt of ids) {
          if (this.readers.has(evt)) continue;
          const r = new EventOrderStream(evt, this.o);
          this.readers.set(evt, r);
          r.start();
        }
        const gone = [...this.readers].filter(([evt]) => !ids.has(evt));
        for (const [evt] of gone) this.readers.delete(evt);
        await Promise.all(gone.map(([, r]) => r.close()));
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  /** True while following the event list. */
  running(): boolean {
    return !this.closed && this.timer !== undefined;
  }

  /** Stop following the list; let every reader finish its batches in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.syncing?.catch(() => undefined); // its error was logged by the timer or start()
    const all = [...this.readers.values()];
    this.readers.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}
