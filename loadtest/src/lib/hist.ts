// A small mergeable latency histogram: log-linear buckets (10 µs steps below 1 ms, then 1 %
// steps), kept sparse so per-tick histograms from many swarm processes cost little to ship
// over IPC and to merge. Quantiles are accurate to about 1 %.

const SUB_MS_STEPS = 100;
const LOG_STEP = Math.log(1.01);

export function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0;
  if (ms < 1) return Math.floor(ms * SUB_MS_STEPS);
  return SUB_MS_STEPS + Math.floor(Math.log(ms) / LOG_STEP);
}

/** Upper edge of a bucket, ms: what a quantile reports (never under-states a latency). */
export function bucketUpper(b: number): number {
  if (b < SUB_MS_STEPS) return (b + 1) / SUB_MS_STEPS;
  return Math.exp((b - SUB_MS_STEPS + 1) * LOG_STEP);
}

export interface HistJson {
  /** [bucket, count] pairs */
  b: [number, number][];
  n: number;
  min: number;
  max: number;
  sum: number;
}

export class Hist {
  private readonly counts = new Map<number, number>();
  n = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  sum = 0;

  record(ms: number, times = 1): void {
    const v = Math.max(ms, 0);
    const b = bucketOf(v);
    this.counts.set(b, (this.counts.get(b) ?? 0) + times);
    this.n += times;
    this.sum += v * times;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Hist | HistJson): this {
    const o = other instanceof Hist ? other.toJSON() : other;
    for (const [b, c] of o.b) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += o.n;
    this.sum += o.sum;
    if (o.n > 0) {
      this.min = Math.min(this.min, o.min);
      this.max = Math.max(this.max, o.max);
    }
    return this;
  }

  /** Quantile q in [0, 1], ms; the exact max for q = 1; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return Number.NaN;
    if (q >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(q * this.n));
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const b of keys) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return Math.min(bucketUpper(b), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.n === 0 ? Number.NaN : this.sum / this.n;
  }

  summary(): LatencySummary {
    return {
      count: this.n,
      min: round(this.n ? this.min : Number.NaN),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p99: round(this.quantile(0.99)),
      p999: round(this.quantile(0.999)),
      max: round(this.n ? this.max : Number.NaN),
      mean: round(this.mean()),
    };
  }

  /** Points of the cumulative distribution, for charts: [ms, fraction ≤ ms]. */
  cdf(): [number, number][] {
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    const out: [number, number][] = [];
    let seen = 0;
    for (const b of keys) {
      seen += this.counts.get(b)!;
      out.push([Math.min(bucketUpper(b), this.max), seen / this.n]);
    }
    return out;
  }

  toJSON(): HistJson {
    return { b: [...this.counts.entries()], n: this.n, min: this.n ? this.min : 0, max: this.max, sum: this.sum };
  }

  static from(j: HistJson): Hist {
    return new Hist().merge(j);
  }
}

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function round(v: number, digits = 3): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
