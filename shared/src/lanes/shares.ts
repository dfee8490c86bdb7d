// How fast each lane moves, for the state frame: the release split the way the admit script
// splits it (shares of the lanes with shoppers waiting, or strict lane order). Pure.
import type { LaneState } from '../protocol/ws.ts';
import type { LaneConfig, LaneMode } from './model.ts';

/**
 * Each lane's state from its counters and the event's admissions per second.
 * @example laneStates(lanes, 'shares', [[0, 900, 900], [0, 300, 300]], 8) // rates 6 and 2 per s
 */
export function laneStates(
  lanes: LaneConfig[],
  mode: LaneMode,
  counters: [served: number, tail: number, len: number][],
  admPerS: number,
): LaneState[] {
  const lens = lanes.map((_, i) => counters[i]?.[2] ?? 0);
  const share = (i: number) => (lens[i]! > 0 ? lanes[i]!.share : 0);
  const w = lanes.reduce((a, _, i) => a + share(i), 0);
  const first = lens.findIndex((l) => l > 0);
  let before = 0;
  return lanes.map((l, i) => {
    const [served, tail, len] = counters[i] ?? [0, 0, 0];
    let adm: number;
    if (mode === 'strict') adm = i === first ? admPerS : 0;
    else adm = w > 0 ? (admPerS * share(i)) / w : i === first ? admPerS : 0;
    const span = tail - served;
    const density = span > 0 && len > 0 ? Math.min(1, len / span) : 1;
    const s: LaneState = { id: l.id, served, tail, len, rate: Math.round((adm / density) * 1000) / 1000, before: mode === 'strict' ? before : 0 };
    before += len;
    return s;
  });
}
