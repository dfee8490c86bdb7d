// Checkout latency for the console: scrape each configured checkout /metrics each second, sum
// the histogram over processes, and report p50/p99 over the last WINDOW scrapes.
import { addBuckets, type Buckets, diffBuckets, parseHistogram, quantile } from './prom.ts';

const WINDOW = 5;

export interface LatencySource {
  /** Scrape once (call every second). */
  scrape(): Promise<void>;
  current(): { p50: number | null; p99: number | null; count: number } | null;
}

export function checkoutLatency(urls: readonly string[], metric: string, timeoutMs = 800): LatencySource {
  const history: Buckets[] = [];
  return {
    async scrape() {
      if (urls.length === 0) return;
      const texts = await Promise.all(
        urls.map(async (u) => {
          try {
            const res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) });
            return res.ok ? await res.text() : '';
          } catch {
            return '';
          }
        }),
      );
      if (texts.every((t) => t === '')) return;
      const sum = texts.reduce<Buckets>((acc, t) => addBuckets(acc, parseHistogram(t, metric)), new Map());
      history.push(sum);
      if (history.length > WINDOW + 1) history.shift();
    },
    current() {
      if (urls.length === 0 || history.length < 2) return null;
      let d = diffBuckets(history[0]!, history[history.length - 1]!);
      if (d === null) {
        // A checkout process restarted: keep only the newest scrape and start over.
        history.splice(0, history.length - 1);
        return null;
      }
      const count = d.get(Number.POSITIVE_INFINITY) ?? 0;
      if (count === 0) d = new Map();
      return { p50: quantile(0.5, d), p99: quantile(0.99, d), count };
    },
  };
}
