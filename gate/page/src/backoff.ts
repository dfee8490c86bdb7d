// Reconnect delays: exponential with full jitter, so a gate restart does not bring every
// waiting shopper back in the same instant.

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  minMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based), from a uniform random number in [0, 1).
 * @example backoffDelay(3, Math.random()) // somewhere in [250, 4000] ms
 */
export function backoffDelay(attempt: number, rand: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const min = opts.minMs ?? 250;
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(min + rand * Math.max(0, cap - min));
}

/** Polling period with ±20 % jitter around `periodMs`. */
export function pollDelay(periodMs: number, rand: number): number {
  return Math.round(periodMs * (0.8 + 0.4 * rand));
}
