// Join, resume and leave: the use-cases behind the WebSocket and the HTTP fallback. Each is one
// Lua call (a public join includes the guard's checks); the caller has already checked origin and
// the proof-of-work's MAC and work.
import {
  eventKeys,
  joinKeys,
  LuaCode,
  pipeScript,
  LANE_SPAN,
  runScript,
  type Phase,
  type Redis,
  splitScore,
  type WelcomeMsg,
} from '@sluice/shared';
import type { LaneJoin } from '../lanes/access.ts';
import { GUARD_VERDICTS, type GuardVerdict, type JoinGuard } from '../abuse/join-guard.ts';
import type { JoinBatcher, JoinReply } from './join-batch.ts';
import { newPlaceId, signPlace } from './place-token.ts';

export interface JoinResult {
  placeId: string;
  phase: Phase;
  /** The place's number (within its lane, for an event with lanes). */
  score: number | null;
  resumed: boolean;
  /** Lane index (events with lanes; null when not known, e.g. once admitted). */
  lane: number | null;
  /** Admission time (ms) when the place is already admitted. */
  admittedAt: number | null;
}

export type JoinFailure =
  | 'UNKNOWN_EVENT'
  | 'NOT_OPEN'
  | 'EVENT_CLOSED'
  | 'SOLD_OUT'
  | 'PLACE_GONE'
  | 'TOKEN_REQUIRED'
  | 'ACCESS_REFUSED'
  | 'UNKNOWN_LANE';

const FAILURES: Record<number, JoinFailure> = {
  [LuaCode.UNKNOWN_EVENT]: 'UNKNOWN_EVENT',
  [LuaCode.EVENT_NOT_OPEN]: 'NOT_OPEN',
  [LuaCode.EVENT_CLOSED]: 'EVENT_CLOSED',
  [LuaCode.SOLD_OUT]: 'SOLD_OUT',
  [LuaCode.PLACE_GONE]: 'PLACE_GONE',
  [LuaCode.TOKEN_REQUIRED]: 'TOKEN_REQUIRED',
  [LuaCode.ACCESS_REFUSED]: 'ACCESS_REFUSED',
};

export class JoinRefused extends Error {
  readonly reason: JoinFailure;
  constructor(reason: JoinFailure) {
    super(reason);
    this.name = 'JoinRefused';
    this.reason = reason;
  }
}

/**
 * Join the line of `evt`, or resume the place named by `resumePlaceId` (from a verified place
 * token) or owned by client id `cid` (not an admitted one: its ticket needs the place token). A
 * new place gets `placeId`, else a fresh one. No guard: for trusted callers (the place poll with a
 * verified token, tests); public joins go through `publicJoin`. Throws JoinRefused.
 */
export async function joinQueue(
  redis: Redis,
  prefix: string,
  evt: string,
  p: { cid: string; resumePlaceId: string; now: number; placeId?: string; lane?: LaneJoin | null },
): Promise<JoinResult> {
  const r = await runScript<Reply>(redis, 'join', joinKeys(prefix, evt, ''), [
    p.placeId ?? newPlaceId(),
    p.cid,
    p.resumePlaceId,
    p.now,
    ...laneArgs(p.lane, ['', '', '', '', '', '']),
  ]);
  const code = Number(r[0]);
  if (code !== 1) throw new JoinRefused(FAILURES[code] ?? 'UNKNOWN_EVENT');
  return resultOf(r);
}

/** What a public join asks: the join, and what the guard needs to check it. */
export interface PublicJoin {
  /** addressKey of the client. */
  address: string;
  cid: string;
  /** Place id from a verified place token ('' for a new join / resume by client id). */
  resumePlaceId: string;
  /** The id a new place gets; '' (with no resumePlaceId) counts the attempt and joins nothing. */
  placeId: string;
  /** Proof-of-work challenge to spend ('' when none was required). */
  powId: string;
  powExp: number;
  now: number;
  /** Events with lanes: the lane and the credential to spend (gate/src/lanes/access.ts). */
  lane?: LaneJoin | null;
}

/**
 * A public join: the guard (per-address rate and live places, revocation, single-use proof of
 * work) and the join in one Lua call (shared with the joins that arrive with it: join-batch.ts).
 * Returns the guard's verdict, with the join when it passed
 * and joined (none when only counted). Throws JoinRefused when the line refuses it.
 */
export async function publicJoin(
  joins: JoinBatcher,
  guard: JoinGuard,
  evt: string,
  p: PublicJoin,
): Promise<{ verdict: GuardVerdict; join: JoinResult | null }> {
  if (!guard.takeLocally(p.address, p.now)) return { verdict: 'RATE_LIMITED', join: null };
  // With the other joins of this event-loop turn: one script call for all (join-batch.ts).
  const r = await joins.join(evt, p.address, [
    p.placeId,
    p.cid,
    p.resumePlaceId,
    p.now,
    ...laneArgs(p.lane, guard.args(p.address, p.powId, p.powExp)),
  ]);
  guard.observe(evt, Number(r[8]), Number(r[6]), Number(r[7]));
  const code = Number(r[0]);
  const refused = GUARD_VERDICTS[code];
  if (refused) return { verdict: refused, join: null };
  if (code !== 1) throw new JoinRefused(FAILURES[code] ?? 'UNKNOWN_EVENT');
  return { verdict: 'ok', join: r[1] === '' ? null : resultOf(r) };
}

/** ARGV 5-13 of join-14.lua: the guard's six (or six blanks), then the lane's three. */
function laneArgs(lane: LaneJoin | null | undefined, guard: (string | number)[]): (string | number)[] {
  if (!lane) return guard.length && guard[0] !== '' ? guard : [];
  return [
    guard[0]!,
    guard[1]!,
    guard[2]!,
    guard[3]!,
    guard[4]!,
    guard[5]!,
    lane.index,
    lane.needs ? '1' : '',
    lane.field,
  ];
}

/** {code, placeId, phase, score, resumed, admittedAt, n, pn, w, lane} (join-14.lua). */
type Reply = JoinReply;

function resultOf(r: Reply): JoinResult {
  const [, placeId, phase, score, resumed, at, , , , lane] = r;
  return {
    placeId,
    phase: phase as Phase,
    // A laned score carries the lane in its high bits; the shopper sees the number within it.
    score: score === '' ? null : splitScore(Number(score)).number,
    resumed: Number(resumed) === 1,
    admittedAt: at === '' ? null : Number(at),
    lane: lane === undefined || lane === '' ? null : Number(lane),
  };
}

export function welcomeOf(secret: Buffer, evt: string, j: JoinResult, laneId?: string): WelcomeMsg {
  return {
    ...(laneId ? { lane: laneId } : {}),
    t: 'welcome',
    evt,
    placeId: j.placeId,
    place: signPlace(secret, evt, j.placeId),
    phase: j.phase,
    score: j.score,
    resumed: j.resumed,
  };
}

/** Free a place now. Returns whether it was still waiting. */
export async function leaveQueue(
  redis: Redis,
  prefix: string,
  evt: string,
  placeId: string,
): Promise<boolean> {
  const k = eventKeys(prefix, evt);
  const r = await runScript<number>(
    redis,
    'leave',
    [k.event, k.queue, k.prequeue, k.ident, k.owner, k.absent],
    [placeId],
  );
  return Number(r) === 1;
}

/** Free many places at once (sold out, closed): the leave script, pipelined 1,000 at a time. */
export async function leaveMany(
  redis: Redis,
  prefix: string,
  evt: string,
  placeIds: string[],
): Promise<void> {
  const k = eventKeys(prefix, evt);
  const keys = [k.event, k.queue, k.prequeue, k.ident, k.owner, k.absent];
  for (let i = 0; i < placeIds.length; i += 1000) {
    const pipe = redis.pipeline();
    for (const pid of placeIds.slice(i, i + 1000)) pipeScript(pipe, 'leave', keys, [pid]);
    for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
  }
}

/** Number of people ahead of `placeId` (exact), or null when it is not in the line. */
export async function exactRank(
  redis: Redis,
  prefix: string,
  evt: string,
  placeId: string,
  /** Events with lanes in shares mode: the place's lane; only its own lane is ahead of it. */
  lane?: number,
): Promise<number | null> {
  const queue = eventKeys(prefix, evt).queue;
  if (lane === undefined) return redis.zrank(queue, placeId);
  const score = await redis.zscore(queue, placeId);
  return score === null ? null : redis.zcount(queue, lane * LANE_SPAN, `(${score}`);
}

/**
 * Places whose socket went away, marked in batches (one pipeline per flush, not one call per
 * socket): the sweep drops them after the event's grace period unless they come back.
 */
export class AbsenceMarker {
  private pending = new Map<string, Map<string, number>>();
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  mark(evt: string, placeId: string, now: number): void {
    let m = this.pending.get(evt);
    if (!m) {
      m = new Map();
      this.pending.set(evt, m);
    }
    m.set(placeId, now);
  }

  /** A place came back on this process before the flush. */
  unmark(evt: string, placeId: string): void {
    this.pending.get(evt)?.delete(placeId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    // One pipeline per event: an event's keys share one slot, different events may not.
    await Promise.all(
      [...batch].map(([evt, m]) => {
        const absent = eventKeys(this.prefix, evt).absent;
        const pipe = this.redis.pipeline();
        const args: (string | number)[] = [];
        for (const [pid, at] of m) args.push(at, pid);
        for (let i = 0; i < args.length; i += 2000) pipe.zadd(absent, ...args.slice(i, i + 2000));
        return pipe.exec();
      }),
    );
  }
}
