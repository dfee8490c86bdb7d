// Pure measures of a finished sale: FIFO inversions, admission-rate error, wait-estimate error.

/**
 * Pairs admitted out of ticket order: score a < score b but a admitted strictly later than b.
 * Shoppers released in the same tick share an admission time and are not inversions.
 * O(n log n) by merge sort over admission times in score order.
 */
export function countInversions(items: readonly { score: number; admittedAt: number }[]): number {
  const times = [...items].sort((a, b) => a.score - b.score).map((i) => i.admittedAt);
  const buf = new Array<number>(times.length);
  const sort = (lo: number, hi: number): number => {
    if (hi - lo < 2) return 0;
    const mid = (lo + hi) >> 1;
    let inv = sort(lo, mid) + sort(mid, hi);
    let i = lo;
    let j = mid;
    let k = lo;
    while (i < mid && j < hi) {
      // times[i] > times[j] with i before j in score order is an inversion (ties are not).
      if (times[i]! <= times[j]!) buf[k++] = times[i++]!;
      else {
        inv += mid - i;
        buf[k++] = times[j++]!;
      }
    }
    while (i < mid) buf[k++] = times[i++]!;
    while (j < hi) buf[k++] = times[j++]!;
    for (let x = lo; x < hi; x++) times[x] = buf[x]!;
    return inv;
  };
  return sort(0, times.length);
}

/** Achieved release rate between the first and last admission (per second). */
export function releaseRate(admittedAts: readonly number[]): number {
  if (admittedAts.length < 2) return 0;
  const sorted = [...admittedAts].sort((a, b) => a - b);
  const span = (sorted[sorted.length - 1]! - sorted[0]!) / 1000;
  return span > 0 ? (sorted.length - 1) / span : 0;
}

/** |achieved − configured| / configured, in percent. */
export function rateErrorPct(achieved: number, configured: number): number {
  return configured > 0 ? (Math.abs(achieved - configured) / configured) * 100 : 0;
}

/**
 * Wait-estimate error over shoppers who actually waited at least `minWaitMs`: mean and median
 * of |predicted − actual| / actual, in percent.
 */
export function etaError(
  items: readonly { predictedMs: number | null; actualMs: number }[],
  minWaitMs = 1000,
): { meanPct: number; medianPct: number; n: number } {
  const errs = items
    .filter((i) => i.predictedMs !== null && i.actualMs >= minWaitMs)
    .map((i) => (Math.abs(i.predictedMs! - i.actualMs) / i.actualMs) * 100)
    .sort((a, b) => a - b);
  if (errs.length === 0) return { meanPct: Number.NaN, medianPct: Number.NaN, n: 0 };
  return {
    meanPct: errs.reduce((s, e) => s + e, 0) / errs.length,
    medianPct: errs[Math.floor(errs.length / 2)]!,
    n: errs.length,
  };
}

export interface RateWindow {
  /** Admissions counted (ticks after the first, up to the window's last tick). */
  admitted: number;
  /** First tick → last counted tick, seconds. */
  seconds: number;
  ticks: number;
  /** rate × seconds: what a token bucket refilling at `rate` hands out over the window. */
  expected: number;
  achievedRate: number;
  errorPct: number;
}

/**
 * Admission-rate error over the window where only the rate limited the release: admissions are
 * grouped by the admitter tick that released them (server time, shared by one tick's batch).
 * The first tick's batch is the bucket's initial content and is not counted; the window ends
 * at the last tick strictly before `endBefore` (when capacity, stock or an empty queue could
 * have bound) and that tick is dropped too, as it may be partly bound. Error =
 * |admitted − rate × seconds| / (rate × seconds).
 * @example windowRateError([0,0,250,250,500,750], 8, Infinity) // ticks 250, 500 counted over 0.5 s → 3 vs 4 expected
 */
export function windowRateError(admittedAts: readonly number[], rate: number, endBefore: number): RateWindow | null {
  const perTick = new Map<number, number>();
  for (const t of admittedAts) if (t < endBefore) perTick.set(t, (perTick.get(t) ?? 0) + 1);
  const ticks = [...perTick.keys()].sort((a, b) => a - b).slice(0, -1);
  if (ticks.length < 2 || rate <= 0) return null;
  const seconds = (ticks[ticks.length - 1]! - ticks[0]!) / 1000;
  const admitted = ticks.slice(1).reduce((s, t) => s + perTick.get(t)!, 0);
  const expected = rate * seconds;
  return {
    admitted,
    seconds,
    ticks: ticks.length,
    expected,
    achievedRate: seconds > 0 ? admitted / seconds : 0,
    errorPct: expected > 0 ? (Math.abs(admitted - expected) / expected) * 100 : 0,
  };
}

/** One admitting tick as the public admission log records it (admit Lua). */
export interface LoggedTick {
  /** The admitter's clock at the tick's start (ms): what `admitted-at` records. */
  at: number;
  /** The bucket's clock (Redis TIME) when the admit script ran: when the release happened. */
  t: number;
  /** Shoppers admitted in this tick (sum of its `adm` ranges). */
  admitted: number;
  /** The bucket after the tick (`tok`): below 1 when the rate was what limited the release. */
  tokAfter: number;
}

/** Admitted count of a raw log entry's `adm` ranges (`[[lo, hi], ...]` of ticket numbers). */
export function loggedTick(raw: string): LoggedTick | null {
  const e = JSON.parse(raw) as { at?: number; t?: number; adm?: [number, number][]; tok?: number };
  if (typeof e.at !== 'number' || typeof e.t !== 'number') return null;
  const admitted = (e.adm ?? []).reduce((s, [lo, hi]) => s + (hi - lo + 1), 0);
  return { at: e.at, t: e.t, admitted, tokAfter: typeof e.tok === 'number' ? e.tok : 0 };
}

/**
 * The admission-rate error on the bucket's own clock over the steady window (below; the first
 * tick's batch, the bucket's initial content, is not counted), each tick timed by `t`, the Redis TIME at which the admit script released it, instead of
 * the admitter's clock at the start of the tick (taken before several round trips, so on a busy
 * event loop the two differ by up to hundreds of ms, and a window's two ends by different
 * amounts). Also the gaps between those releases past the tick (`lateMs`): how late releases
 * ran on the bucket's clock.
 * @example logRateError([{at:0,t:5,admitted:50,tokAfter:0},{at:250,t:255,admitted:25,tokAfter:0},{at:500,t:505,admitted:25,tokAfter:0}], 100, 1e9, 250)
 *   // → 50 admitted over 0.5 s, error 0%
 */
export function logRateError(
  ticks: readonly LoggedTick[],
  rate: number,
  endBefore: number,
  tickMs: number,
): (RateWindow & { lateMs: number[]; leftTokens: boolean }) | null {
  // The steady window: from the first admitting tick, the run of ticks that emptied the bucket
  // (the rate limited them, not the queue, capacity or stock); it ends at the first tick that
  // left tokens over, or before `endBefore`. Each such tick released what accrued since the
  // previous one (less than one token stays behind), so the sum matches rate × time unless a
  // tick came later than the bucket's size allows.
  const sorted = ticks.filter((x) => x.admitted > 0 && x.at < endBefore).sort((a, b) => a.t - b.t);
  const bound = sorted.findIndex((x) => x.tokAfter >= 1);
  const inWindow = bound < 0 ? sorted : sorted.slice(0, bound);
  if (inWindow.length < 2 || rate <= 0) return null;
  const seconds = (inWindow[inWindow.length - 1]!.t - inWindow[0]!.t) / 1000;
  const admitted = inWindow.slice(1).reduce((s, x) => s + x.admitted, 0);
  const expected = rate * seconds;
  const lateMs = inWindow.slice(1).map((x, i) => Math.max(0, x.t - inWindow[i]!.t - tickMs));
  return {
    admitted,
    seconds,
    ticks: inWindow.length,
    expected,
    achievedRate: seconds > 0 ? admitted / seconds : 0,
    errorPct: expected > 0 ? (Math.abs(admitted - expected) / expected) * 100 : 0,
    lateMs,
    /** The window ended at a tick that left tokens over (the queue, capacity or stock bound it). */
    leftTokens: bound >= 0,
  };
}
