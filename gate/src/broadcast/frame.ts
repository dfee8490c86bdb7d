// The public state frame of one event, built once per tick by the admitter and forwarded to
// every waiting socket as is. Pure.
import type { EventRecord, StateFrame } from '@sluice/shared';

export interface FrameInput {
  rec: EventRecord;
  served: number;
  tail: number;
  len: number;
  rate: number;
  adm: number;
  tick: number;
  now: number;
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
