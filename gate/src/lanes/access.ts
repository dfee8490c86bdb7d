// Which lane a join goes to, and the credential it spends there (checked before the join
// script, which spends it atomically with making the place). Access codes are hashed with the
// event's salt (kept in the `codes` hash; read once per event and process); invite tokens are
// verified offline against the lane's keys. Refusals carry no detail for the shopper.
import {
  CODE_SALT_FIELD,
  codeField,
  ACCESS_CODE_PATTERN,
  type EventConfig,
  eventKeys,
  inviteField,
  laneFor,
  type Redis,
  verifyInvite,
} from '@sluice/shared';

/** What joinQueue passes to the join script for a laned event. */
export interface LaneJoin {
  index: number;
  /** A new place needs a credential in this lane. */
  needs: boolean;
  /** The credential's field in `codes` ('' = none). */
  field: string;
}

export type LaneVerdict = { ok: true; lane: LaneJoin | null } | { ok: false; reason: 'UNKNOWN_LANE' | 'ACCESS_REFUSED'; detail: string };

/** Per-event salts, read from Redis once per process (they never change once written). */
export class CodeSalts {
  private readonly salts = new Map<string, string>();
  private readonly redis: Redis;
  private readonly prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  async get(evt: string): Promise<string | null> {
    const known = this.salts.get(evt);
    if (known) return known;
    const salt = await this.redis.hget(eventKeys(this.prefix, evt).codes, CODE_SALT_FIELD);
    if (salt) this.salts.set(evt, salt);
    return salt;
  }
}

/**
 * Resolve the lane of a join. A resume keeps its place's lane whatever it sends; a credential
 * that is malformed, fails its signature, is unknown or spent is refused by the join script (the
 * same answer, counted, the proof of work spent).
 */
export async function resolveLane(
  cfg: EventConfig,
  msg: { lane?: unknown; code?: unknown; invite?: unknown },
  salts: CodeSalts,
  nowMs: number,
): Promise<LaneVerdict> {
  const lanes = cfg.lanes ?? [];
  if (lanes.length === 0) return { ok: true, lane: null };
  if (msg.lane !== undefined && typeof msg.lane !== 'string') return { ok: false, reason: 'UNKNOWN_LANE', detail: 'bad lane' };
  const found = laneFor(lanes, msg.lane);
  if (!found) return { ok: false, reason: 'UNKNOWN_LANE', detail: 'no such lane, or no lane open to anyone' };
  const { index, lane } = found;
  if (lane.access === 'open') return { ok: true, lane: { index, needs: false, field: '' } };
  // A malformed or badly signed credential still goes to the join script as "no credential": it
  // is refused there with the same answer after the join rate counts it, the proof of work is
  // spent and the lane's refused counter moves. Refused here, a guess cost no proof of work (one
  // solution bought unlimited signature checks) and the operator's counter never saw it.
  const refused = (_detail: string): LaneVerdict => ({ ok: true, lane: { index, needs: true, field: '' } });
  if (lane.access === 'code') {
    if (msg.code === undefined) return { ok: true, lane: { index, needs: true, field: '' } };
    if (typeof msg.code !== 'string' || !ACCESS_CODE_PATTERN.test(msg.code)) return refused('malformed code');
    const salt = await salts.get(cfg.id);
    // No code was ever uploaded: nothing can match; the script counts and refuses it.
    return { ok: true, lane: { index, needs: true, field: salt ? codeField(salt, msg.code) : 'c:none' } };
  }
  if (msg.invite === undefined) return { ok: true, lane: { index, needs: true, field: '' } };
  const v = verifyInvite(msg.invite, cfg.id, lane, nowMs / 1000);
  if (!v.ok) return refused(`invite ${v.reason}`);
  return { ok: true, lane: { index, needs: true, field: inviteField(v.claims.jti) } };
}
