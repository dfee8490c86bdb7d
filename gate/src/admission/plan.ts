// Admission maths, pure: how many shoppers one tick may release (token bucket for the rate,
// `maxActive` for capacity, units left × overbook for stock) and the smoothed line speed
// published to clients. Everything takes `now`; the admit Lua re-checks the hard caps.
import type { EventState } from '@sluice/shared';

export interface ReleaseInput {
  now: number;
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
  /** Bucket level and its time from the last tick; null on the first tick (bucket starts full). */
  tokens: number | null;
  at: number | null;
  /** Admitted and not finished (tickets not expired). */
  active: number;
  unitsLeft: number;
  waiting: number;
}

export type Limit = 'rate' | 'capacity' | 'stock' | 'queue' | 'halted';

export interface ReleasePlan {
  release: number;
  /** Bucket level after refilling to `now`, before this release is taken out. */
  tokens: number;
  limitedBy: Limit;
}

const EPS = 1e-9;

export function refill(
  tokens: number | null,
  at: number | null,
  now: number,
  rate: number,
  burst: number,
): number {
  if (tokens === null || at === null) return burst;
  const dt = Math.max(0, now - at) / 1000;
  return Math.min(burst, tokens + dt * rate);
}

/**
 * @example planRelease({ now, state: 'open', rate: 20, burst: 20, tokens: 0, at: now - 250, ... })
 *   // → { release: 5, tokens: 5, limitedBy: 'rate' }
 */
export function planRelease(i: ReleaseInput): ReleasePlan {
  // A token bucket: `burst` is the most released at once (at least one tick's worth, so a small
  // burst does not lower the rate). A late tick may also release what accrued while it was
  // late, up to one more tick's worth: busy event loops do not lower the rate, and no stretch
  // of time (a leader change included) releases more than burst + rate × (time + one tick),
  // which the fault suite checks. A tick later than that loses the excess.
  const late = i.at === null ? 0 : Math.min(Math.max(0, i.now - i.at - i.tickMs), i.tickMs);
  const size = Math.max(i.burst, (i.rate * i.tickMs) / 1000) + (i.rate * late) / 1000;
  const tokens = refill(i.tokens, i.at, i.now, i.rate, size);
  if (i.state !== 'open' || i.queueAll) return { release: 0, tokens, limitedBy: 'halted' };
  const budgets: [number, Limit][] = [
    [Math.floor(tokens + EPS), 'rate'],
    [i.maxActive - i.active, 'capacity'],
    [Math.floor(i.unitsLeft * i.overbook + EPS) - i.active, 'stock'],
    [i.waiting, 'queue'],
  ];
  let best = budgets[0]!;
  for (const b of budgets) if (b[0] < best[0]) best = b;
  return { release: Math.max(0, best[0]), tokens, limitedBy: best[1] };
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
