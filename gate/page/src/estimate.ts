// People ahead and wait from a state frame and one's ticket number, by the formula of
// docs/ARCHITECTURE.md step 2. Kept behind this one function so the page can switch to the
// gate's shared estimator (shared/src/protocol/estimate.ts) without touching the view.
import type { StateFrame } from '@sluice/shared/protocol/ws.ts';

export interface Estimate {
  /** People ahead (≥ 0, whole). */
  ahead: number;
  /** Seconds until admission, or null when the line is not moving (paused, not started). */
  waitS: number | null;
}

export function estimate(frame: Pick<StateFrame, 'served' | 'tail' | 'len' | 'rate'>, score: number): Estimate {
  const gap = score - frame.served;
  if (gap <= 0) return { ahead: 0, waitS: 0 };
  const span = frame.tail - frame.served;
  // Ticket numbers of people who left are gaps in the line: scale by the density of the line.
  const density = span > 0 ? Math.min(1, Math.max(0, frame.len / span)) : 1;
  const ahead = Math.max(0, Math.round((gap - 1) * density));
  const waitS = frame.rate > 1e-6 ? gap / frame.rate : null;
  return { ahead, waitS };
}
