// Client-side position and wait estimate from one StateFrame. Pure, no I/O: the queue page, the
// load-test swarm and the gate's HTTP fallback all use it, so every client shows the same figure.
//
// People ahead: ticket numbers between the one now served and mine, scaled by the share of
// numbers still held (some shoppers left): ahead ≈ (score − served − 1) × len / (tail − served).
// Wait: the line moves `rate` ticket numbers per second (smoothed by the admitter), so
// wait ≈ (score − served) / rate. At a steady rate `served` grows linearly and the wait falls
// by one second per second; it never drifts upward unless the line really slows down.
import type { StateFrame } from './ws.ts';

export interface Estimate {
  /** People ahead (estimate; 0 once my number is served). */
  ahead: number;
  /** Seconds until admission, or null when the line is not moving (paused, not started). */
  waitS: number | null;
}

/**
 * @example estimate(frame, 1200) // { ahead: 180, waitS: 9 }
 */
export function estimate(
  frame: Pick<StateFrame, 'served' | 'tail' | 'len' | 'rate' | 'cfg' | 'st'>,
  score: number,
): Estimate {
  const gap = score - frame.served;
  if (gap <= 0) return { ahead: 0, waitS: 0 };
  const span = frame.tail - frame.served;
  const density = span > 0 ? Math.min(1, frame.len / span) : 1;
  const ahead = Math.max(0, Math.round((gap - 1) * density));
  if (frame.st !== 'open') return { ahead, waitS: null };
  if (frame.rate > 0) return { ahead, waitS: Math.ceil(gap / frame.rate) };
  // The line has not moved yet (just opened): fall back to the configured release rate.
  if (frame.cfg > 0) return { ahead, waitS: Math.ceil((ahead + 1) / frame.cfg) };
  return { ahead, waitS: null };
}

/**
 * The estimate of lane number `score` in lane `lane` of a laned event: the lane's own counters;
 * in strict mode the shoppers of the lanes served first count as ahead, at the event's speed.
 * Falls back to `estimate` when the frame has no such lane.
 */
export function estimateInLane(
  frame: Pick<StateFrame, 'served' | 'tail' | 'len' | 'rate' | 'cfg' | 'st' | 'adm' | 'lanes'>,
  lane: string | undefined,
  score: number,
): Estimate {
  const l = lane === undefined ? undefined : frame.lanes?.find((x) => x.id === lane);
  if (!l) return estimate(frame, score);
  const own = estimate({ served: l.served, tail: l.tail, len: l.len, rate: l.rate, cfg: 0, st: frame.st }, score);
  if (own.waitS === 0 || (l.before <= 0 && l.rate > 0)) return own;
  // Strict mode behind other lanes, or a lane not moving yet: everyone ahead at the event's speed.
  const ahead = l.before + own.ahead;
  const speed = frame.adm > 0 ? frame.adm : frame.cfg;
  return { ahead, waitS: frame.st === 'open' && speed > 0 ? Math.ceil((ahead + 1) / speed) : null };
}
