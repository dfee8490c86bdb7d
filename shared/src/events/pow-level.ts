// How hard the join proof-of-work is right now. An event sets a base difficulty and, optionally,
// a surge difficulty that applies while joins per second exceed a threshold. The rate comes from
// the join Lua's fixed windows (`joins-by-ip`: `w` window start, `n` joins in it, `pn` joins
// in the window before), read as a sliding window. Pure: the gate and the console share it.
import type { EventConfig } from './model.ts';

/** Window of the per-address join count and of the joins-per-second estimate. */
export const JOIN_WINDOW_MS = 10_000;

export interface JoinWindow {
  /** Start of the window the counts belong to (ms). */
  w: number;
  /** Joins in that window. */
  n: number;
  /** Joins in the window before it. */
  pn: number;
}

/**
 * Joins per second over the last window, weighting the previous window by how much of it still
 * overlaps the last `windowMs`.
 * @example joinsPerSecond({ w: 0, n: 500, pn: 1000 }, 5_000) // (1000 × 0.5 + 500) / 10 = 100
 */
export function joinsPerSecond(j: JoinWindow, now: number, windowMs = JOIN_WINDOW_MS): number {
  const age = now - j.w;
  if (!(age >= 0) || age >= 2 * windowMs) return 0;
  if (age >= windowMs) return (j.n * (1 - (age - windowMs) / windowMs)) / (windowMs / 1000);
  return (j.pn * (1 - age / windowMs) + j.n) / (windowMs / 1000);
}

type PowFields = Pick<EventConfig, 'powDifficulty' | 'powSurgeJoinsPerS' | 'powSurgeDifficulty'>;

/** The difficulty new challenges get at `joinsPerS`. */
export function powDifficultyAt(c: PowFields, joinsPerS: number): number {
  const surging =
    c.powSurgeJoinsPerS > 0 && c.powSurgeDifficulty > c.powDifficulty && joinsPerS > c.powSurgeJoinsPerS;
  return surging ? c.powSurgeDifficulty : c.powDifficulty;
}
