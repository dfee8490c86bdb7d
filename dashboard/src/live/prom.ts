// Reads a latency histogram from Prometheus text exposition (checkout's /metrics) and turns the
// change between two scrapes into p50/p99, interpolating inside buckets as PromQL's
// histogram_quantile does. Buckets of every label set (route, status, process) are summed.

/** Cumulative bucket counts by upper bound (`le`), summed over label sets. */
export type Buckets = Map<number, number>;

export function parseHistogram(text: string, metric: string): Buckets {
  const out: Buckets = new Map();
  const prefix = `${metric}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const m = /le="([^"]+)"[^}]*}\s+(\S+)/.exec(line);
    if (!m) continue;
    const le = m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
    const v = Number(m[2]);
    if (!Number.isFinite(v) || Number.isNaN(le)) continue;
    out.set(le, (out.get(le) ?? 0) + v);
  }
  return out;
}

export function addBuckets(a: Buckets, b: Buckets): Buckets {
  const out = new Map(a);
  for (const [le, v] of b) out.set(le, (out.get(le) ?? 0) + v);
  return out;
}

/** cur − prev per bucket; null when a counter went down (a process restarted): start a new window. */
export function diffBuckets(prev: Buckets, cur: Buckets): Buckets | null {
  const out: Buckets = new Map();
  for (const [le, v] of cur) {
    const d = v - (prev.get(le) ?? 0);
    if (d < 0) return null;
    out.set(le, d);
  }
  return out;
}

/** The q-quantile (0..1) of a cumulative histogram, or null if it holds no observations. */
export function quantile(q: number, buckets: Buckets): number | null {
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? (les.length ? buckets.get(les[les.length - 1]!)! : 0);
  if (!total) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const c = buckets.get(le)!;
    if (c >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe; // beyond the last finite bound: report that bound
      const inBucket = c - prevCount;
      return inBucket === 0 ? le : prevLe + ((le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = le;
    prevCount = c;
  }
  return prevLe;
}

/** `<metric>_count` per value of `label`, summed over the other labels (e.g. checkouts by outcome code). */
export function parseCountsBy(text: string, metric: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  const prefix = `${metric}_count{`;
  const re = new RegExp(`${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const m = re.exec(line.slice(0, close));
    const v = Number(line.slice(close + 1).trim());
    if (!m || !Number.isFinite(v)) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}
