// The ids of all events (the global `events` set) as the door last read them (issued.ts): a
// ticket naming an id not among them is held for one fresh read and refused if still unknown.
import { globalKeys, type Logger, type Redis } from '@sluice/shared';

type Waiter = (ok: boolean) => void;

export class EventIds {
  /** As last read; null before the first read. */
  private events: Set<string> | null = null;
  private waiting: Waiter[] = [];
  private reading = false;
  private readonly redis: Redis;
  private readonly key: string;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly maxWaiting: number;

  constructor(redis: Redis, prefix: string, log: Logger, timeoutMs: number, maxWaiting: number) {
    this.redis = redis;
    this.key = globalKeys(prefix).events;
    this.log = log;
    this.timeoutMs = timeoutMs;
    this.maxWaiting = maxWaiting;
  }

  /** Whether `evt` was among the events at the last read (undefined: not read yet). */
  has(evt: string): boolean | undefined {
    return this.events ? this.events.has(evt) : undefined;
  }

  /**
   * Read the `events` set again, then `done(true)`; `done(false)` when it could not be read. One
   * SMEMBERS shared by every request waiting meanwhile (a flood of made-up event ids costs one
   * read per round trip, not one Redis call each); a read started before the call does not count.
   */
  refresh(done: Waiter): void {
    if (this.waiting.length >= this.maxWaiting) {
      done(false);
      return;
    }
    this.waiting.push(done);
    if (!this.reading) this.read();
  }

  private read(): void {
    this.reading = true;
    const batch = this.waiting;
    this.waiting = [];
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.reading = false;
      for (const w of batch) w(ok);
      if (this.waiting.length) this.read();
    };
    const timer = setTimeout(() => finish(false), this.timeoutMs);
    this.redis.smembers(this.key).then(
      (ids) => {
        this.events = new Set(ids);
        finish(true);
      },
      (err) => {
        this.log.warn({ err }, 'reading the events failed'); // the held requests take the full path
        finish(false);
      },
    );
  }

  close(): void {
    for (const w of this.waiting.splice(0)) w(false);
  }
}
