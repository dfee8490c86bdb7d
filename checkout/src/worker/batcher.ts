// Collects items handed in one at a time and flushes them together: when `maxSize` are waiting
// or `maxWaitMs` after the first one, whichever comes first. Each submit resolves with its own
// item's result once the flush that carried it is done. Items with the same key share one slot.

export interface BatcherOptions<T, R> {
  maxSize: number;
  maxWaitMs: number;
  /** Results in the order of `items`; an Error in a slot rejects only that item. */
  flush: (items: T[]) => Promise<(R | Error)[]>;
  key: (item: T) => string;
}

interface Slot<T, R> {
  item: T;
  waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[];
}

export class Batcher<T, R> {
  private pending = new Map<string, Slot<T, R>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly opts: BatcherOptions<T, R>;

  constructor(opts: BatcherOptions<T, R>) {
    this.opts = opts;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const key = this.opts.key(item);
      const slot = this.pending.get(key);
      if (slot) slot.waiters.push({ resolve, reject });
      else this.pending.set(key, { item, waiters: [{ resolve, reject }] });
      if (this.pending.size >= this.opts.maxSize) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
    });
  }

  /** Items waiting for a flush. */
  get size(): number {
    return this.pending.size;
  }

  /** Flush what is waiting and wait for every flush in flight. */
  async drain(): Promise<void> {
    this.flushNow();
    await Promise.all([...this.inflight]);
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const slots = [...this.pending.values()].slice(0, this.opts.maxSize);
    for (const s of slots) this.pending.delete(this.opts.key(s.item));
    if (this.pending.size > 0) this.timer = setTimeout(() => this.flushNow(), 0);
    const run = this.run(slots).finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }

  private async run(slots: Slot<T, R>[]): Promise<void> {
    let results: (R | Error)[];
    try {
      results = await this.opts.flush(slots.map((s) => s.item));
    } catch (err) {
      for (const s of slots) for (const w of s.waiters) w.reject(err);
      return;
    }
    slots.forEach((s, i) => {
      const r = results[i];
      for (const w of s.waiters) {
        if (r === undefined) w.reject(new Error('batch flush returned too few results'));
        else if (r instanceof Error) w.reject(r);
        else w.resolve(r);
      }
    });
  }
}
