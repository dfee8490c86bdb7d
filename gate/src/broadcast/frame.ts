// The public state frame of one event, built once per tick by the admitter and forwarded to
// every waiting socket as is. Pure.
import type { EventRecord, LaneState, StateFrame } from '@sluice/shared';

export interface FrameInput {
  rec: EventRecord;
  served: number;
  tail: number;
  len: number;
  rate: number;
  adm: number;
  tick: number;
  now: number;
  /** Events with lanes: each lane's counters (left out otherwise: the frame stays as it was). */
  lanes?: LaneState[];
}

export function buildFrame(i: FrameInput): StateFrame {
  return {
    t: 'state',
    evt: i.rec.config.id,
    st: i.rec.state,
    served: i.served,
    tail: i.tail,
    len: i.len,
    rate: i.rate,
    adm: i.adm,
    cfg: i.rec.config.queueAll ? 0 : i.rec.config.rate,
    start: i.rec.config.startAt,
    seedHash: i.rec.seedHash,
    seed: i.rec.seed,
    now: i.now,
    tick: i.tick,
    ...(i.lanes ? { lanes: i.lanes } : {}),
  };
}

/** The same frame with another state (an operator change or sold out, announced at once). */
export function withState(frame: StateFrame, rec: EventRecord, now: number): StateFrame {
  return {
    ...frame,
    st: rec.state,
    seed: rec.seed,
    seedHash: rec.seedHash,
    cfg: rec.config.queueAll ? 0 : rec.config.rate,
    now,
  };
}
