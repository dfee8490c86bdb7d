// Checkout health for the console and the autopilot: scrape each configured checkout /metrics
// about once a second, sum the histogram over processes, and report p50/p99 and the share of
// 429/5xx answers over the last WINDOW scrapes.
import { ErrorCatalog } from '@sluice/shared';
import { addBuckets, type Buckets, diffBuckets, parseCountsBy, parseHistogram, quantile } from './prom.ts';

const WINDOW = 5;
/** Two callers (the console's sampler and the autopilot) may ask; scrape at most this often. */
const MIN_SCRAPE_GAP_MS = 900;

export interface CheckoutHealth {
  p50: number | null;
  p99: number | null;
  count: number;
  /** Share of answers over the window whose code maps to 429 or 5xx (null: no answers). */
  errorShare: number | null;
}

export interface LatencySource {
  /** Scrape once (call every second; calls closer together than ~1 s are skipped). */
  scrape(): Promise<void>;
  current(): CheckoutHealth | null;
}

interface Scrape {
  buckets: Buckets;
  codes: Map<string, number>;
}

const isError = (code: string): boolean => {
  const e = (ErrorCatalog as Record<string, { status: number } | undefined>)[code];
  return e !== undefined && (e.status === 429 || e.status >= 500);
};

function errorShare(prev: Map<string, number>, cur: Map<string, number>): number | null {
  let total = 0;
  let errors = 0;
  for (const [code, v] of cur) {
    const d = Math.max(0, v - (prev.get(code) ?? 0));
    total += d;
    if (isError(code)) errors += d;
  }
  return total === 0 ? null : errors / total;
}

export function checkoutLatency(urls: readonly string[], metric: string, timeoutMs = 800): LatencySource {
  const history: Scrape[] = [];
  let lastAt = 0;
  return {
    async scrape() {
      if (urls.length === 0 || Date.now() - lastAt < MIN_SCRAPE_GAP_MS) return;
      lastAt = Date.now();
      const texts = await Promise.all(
        urls.map(async (u) => {
          try {
            const res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) });
            return res.ok ? await res.text() : '';
          } catch {
            return ''; // a checkout process that does not answer is left out of this scrape
          }
        }),
      );
      if (texts.every((t) => t === '')) return;
      const buckets = texts.reduce<Buckets>((acc, t) => addBuckets(acc, parseHistogram(t, metric)), new Map());
      const codes = new Map<string, number>();
      for (const t of texts) for (const [c, v] of parseCountsBy(t, metric, 'code')) codes.set(c, (codes.get(c) ?? 0) + v);
      history.push({ buckets, codes });
      if (history.length > WINDOW + 1) history.shift();
    },
    current() {
      if (urls.length === 0 || history.length < 2) return null;
      const first = history[0]!;
      const last = history[history.length - 1]!;
      let d = diffBuckets(first.buckets, last.buckets);
      if (d === null) {
        // A checkout process restarted: keep only the newest scrape and start over.
        history.splice(0, history.length - 1);
        return null;
      }
      const count = d.get(Number.POSITIVE_INFINITY) ?? 0;
      if (count === 0) d = new Map();
      return { p50: quantile(0.5, d), p99: quantile(0.99, d), count, errorShare: errorShare(first.codes, last.codes) };
    },
  };
}
