// One sampling loop per dashboard process: every second, each event somebody watches is read
// once from Redis and the sample is pushed to all of its watchers (console tabs over SSE).
import type { Logger, Redis } from '@sluice/shared';
import type { LatencySource } from './checkout-latency.ts';
import type { Counters, LiveSample } from './sample.ts';
import { sampleEvent } from './sampler.ts';

export type Watcher = (s: LiveSample) => void;

export interface LiveHub {
  watch(evt: string, w: Watcher): () => void;
  /** The latest sample of `evt` (sampled now if nobody watches it). */
  snapshot(evt: string): Promise<LiveSample | null>;
  close(): void;
}

export function liveHub(redis: Redis, prefix: string, latency: LatencySource, log: Logger, intervalMs = 1000): LiveHub {
  const watchers = new Map<string, Set<Watcher>>();
  const prev = new Map<string, Counters>();
  const last = new Map<string, LiveSample>();
  let busy = false;

  async function sample(evt: string): Promise<LiveSample | null> {
    const r = await sampleEvent(redis, prefix, evt, Date.now(), prev.get(evt));
    if (!r) return null;
    prev.set(evt, r.counters);
    r.sample.latency = latency.current();
    last.set(evt, r.sample);
    return r.sample;
  }

  async function tick(): Promise<void> {
    if (busy || watchers.size === 0) return; // a slow Redis must not pile up samplers
    busy = true;
    try {
      await latency.scrape();
      for (const [evt, set] of watchers) {
        const s = await sample(evt).catch((err: unknown) => {
          log.warn({ err, evt }, 'live sample failed');
          return null;
        });
        if (s) for (const w of set) w(s);
      }
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();

  return {
    watch(evt, w) {
      let set = watchers.get(evt);
      if (!set) {
        set = new Set();
        watchers.set(evt, set);
      }
      set.add(w);
      const cached = last.get(evt);
      if (cached) w(cached);
      return () => {
        set.delete(w);
        if (set.size === 0) watchers.delete(evt);
      };
    },
    async snapshot(evt) {
      return watchers.has(evt) && last.has(evt) ? last.get(evt)! : sample(evt);
    },
    close() {
      clearInterval(timer);
      watchers.clear();
    },
  };
}
