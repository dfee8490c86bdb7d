// Admission maths, pure: how many shoppers one tick may release by capacity (`maxActive`),
// stock (units left × overbook) and queue length, the size of the token bucket that sets the
// rate, and the smoothed line speed published to clients. Everything takes `now`. The bucket
// itself lives in Redis (admit-11.lua, on Redis's clock, `refill` below is its model) so a late
// tick and a leader change see the same level.
import type { EventState } from '@sluice/shared';

export interface ReleaseInput {
  state: EventState;
  queueAll: boolean;
  /** Shoppers per second. */
  rate: number;
  /** Token-bucket size. */
  burst: number;
  /** Tick length (ms): the bucket always holds at least one tick's worth, so a burst below
   * rate × tick does not silently lower the rate. */
  tickMs: number;
  maxActive: number;
  overbook: number;
  /** Admitted and not finished (tickets not expired). */
  active: number;
  unitsLeft: number;
  waiting: number;
}

export type Limit = 'rate' | 'capacity' | 'stock' | 'queue' | 'halted';

export interface ReleasePlan {
  /** Most to release by capacity, stock and queue; the admit Lua also caps it by the bucket. */
  release: number;
  /** What limits `release` (the admit Lua's bucket may still release fewer: then 'rate'). */
  limitedBy: Exclude<Limit, 'rate'>;
  /** Token-bucket size passed to the admit Lua. */
  bucketSize: number;
}

const EPS = 1e-9;

/** The bucket size: `burst`, but at least one tick's worth so a small burst keeps the rate. */
export function bucketSize(rate: number, burst: number, tickMs: number): number {
  return Math.max(burst, (rate * tickMs) / 1000);
}

/**
 * The token-bucket refill the admit Lua does on Redis time: a late tick gets everything that
 * accrued, up to `size`; no stretch of time releases more than size + rate × time.
 * @example refill(0, 0, 250, 20, 10) // → 5
 */
export function refill(
  tokens: number | null,
  at: number | null,
  now: number,
  rate: number,
  size: number,
): number {
  if (tokens === null || at === null) return size;
  return Math.min(size, tokens + (Math.max(0, now - at) * rate) / 1000);
}

/**
 * @example planRelease({ state: 'open', maxActive: 50, active: 48, waiting: 900, ... })
 *   // → { release: 2, limitedBy: 'capacity', bucketSize }
 */
export function planRelease(i: ReleaseInput): ReleasePlan {
  const size = bucketSize(i.rate, i.burst, i.tickMs);
  if (i.state !== 'open' || i.queueAll) return { release: 0, limitedBy: 'halted', bucketSize: size };
  const budgets: [number, Exclude<Limit, 'rate'>][] = [
    [i.maxActive - i.active, 'capacity'],
    [Math.floor(i.unitsLeft * i.overbook + EPS) - i.active, 'stock'],
    [i.waiting, 'queue'],
  ];
  let best = budgets[0]!;
  for (const b of budgets) if (b[0] < best[0]) best = b;
  return { release: Math.max(0, best[0]), limitedBy: best[1], bucketSize: size };
}

export interface LineSpeed {
  /** Ticket numbers advanced per second (smoothed). */
  rate: number;
  /** Shoppers admitted per second (smoothed). */
  adm: number;
}

/** Smoothing time constant of the published speeds, ms. */
export const SPEED_TAU_MS = 3000;
/** The speeds are measured over windows of this length (several ticks). */
export const SPEED_WINDOW_MS = 1000;

/**
 * Exponentially smoothed speed of the line after one tick of `dtMs` that advanced the served
 * number by `advanced` and admitted `admitted` shoppers.
 */
export function smoothSpeed(
  prev: LineSpeed | null,
  dtMs: number,
  advanced: number,
  admitted: number,
  /**
   * Expected speed when the line starts moving (configured rate, in ticket numbers and
   * shoppers per second). Without it the average would climb from zero after the start and the
   * first wait estimates would be several times too long.
   */
  start?: LineSpeed,
): LineSpeed {
  if (start && advanced > 0 && (!prev || prev.rate === 0)) prev = start;
  if (dtMs <= 0) return prev ?? { rate: 0, adm: 0 };
  const instRate = (advanced * 1000) / dtMs;
  const instAdm = (admitted * 1000) / dtMs;
  if (!prev) return { rate: instRate, adm: instAdm };
  const a = 1 - Math.exp(-dtMs / SPEED_TAU_MS);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    rate: round(prev.rate + a * (instRate - prev.rate)),
    adm: round(prev.adm + a * (instAdm - prev.adm)),
  };
}
