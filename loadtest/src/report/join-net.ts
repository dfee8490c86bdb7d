// Gate CPU per join with the state frames sent meanwhile left out, and how a run that cannot
// separate the two is reported.
import { usPerOp } from '../lib/redis-cpu.ts';

/**
 * Gate CPU per join over the join windows minus the state frames the ticks sent meanwhile to the
 * sockets already held (frames × the per-frame cost measured later in the same run). When the
 * frames' estimate is as large as everything the gate spent, what is left is no measurement of a
 * join: the raw difference (≤ 0) is returned so the report can say so, never shown as a figure.
 */
export function joinNetOfFrames(
  gateCpuS: number,
  frames: number,
  frameCpuUs: number | null,
  joins: number,
): number | null {
  return usPerOp(gateCpuS - (frames * (frameCpuUs ?? 0)) / 1e6, joins);
}

/** A reading at or below zero: the frames' estimate swallowed the joins' CPU. */
export const joinReadingFailed = (us: number | null | undefined): boolean =>
  us !== null && us !== undefined && us <= 0;
