// The lanes' part of an admission tick: the admit script's lane arguments, and the lanes of the
// state frame from what the script returns ('served,tail,len' per lane). Pure.
import { type EventConfig, type LaneState, laneStates } from '@sluice/shared';

/** ARGV 11-13 of admit-12.lua: mode, shares, ids ('' x 3 without lanes). */
export function laneArgs(cfg: EventConfig): [string, string, string] {
  const lanes = cfg.lanes ?? [];
  if (lanes.length === 0) return ['', '', ''];
  return [cfg.laneMode, lanes.map((l) => l.share).join(','), lanes.map((l) => l.id).join(',')];
}

/** The frame's lanes, or undefined for an event without lanes. */
export function frameLanes(cfg: EventConfig, out: string, admPerS: number): LaneState[] | undefined {
  const lanes = cfg.lanes ?? [];
  if (lanes.length === 0 || out === '') return undefined;
  const counters = out.split(';').map((s) => s.split(',').map(Number) as [number, number, number]);
  return laneStates(lanes, cfg.laneMode, counters, admPerS);
}
