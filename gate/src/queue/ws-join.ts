// The join message of a WebSocket: proof-of-work, place token, the join Lua (with the guard),
// then `welcome` (plus the last state frame, or the ticket when already admitted).
import { CloseCode, eventKeys, type JoinMsg, laneId, type PlaceMsg, powDifficultyAt, splitScore } from '@sluice/shared';
import { resolveLane } from '../lanes/access.ts';
import type { GuardVerdict } from '../abuse/join-guard.ts';
import { verifyPow } from '../abuse/pow.ts';
import type { GateContext } from '../context.ts';
import { bindPlaceKey, hasUsableKey, NO_KEY } from '../tickets/binding.ts';
import { type JoinFailure, JoinRefused, type JoinResult, publicJoin, welcomeOf } from './join.ts';
import { newPlaceId, verifyPlace } from './place-token.ts';
import { type Socket, topicOf } from './sockets.ts';

export const CID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export const REFUSAL_CLOSE: Record<JoinFailure, [number, string]> = {
  UNKNOWN_EVENT: [CloseCode.UNKNOWN_EVENT, 'no such event'],
  NOT_OPEN: [CloseCode.NOT_OPEN, 'the queue has not opened yet'],
  EVENT_CLOSED: [CloseCode.EVENT_CLOSED, 'the event is closed'],
  SOLD_OUT: [CloseCode.SOLD_OUT, 'sold out'],
  PLACE_GONE: [CloseCode.PLACE_EXPIRED, 'place expired; join again'],
  TOKEN_REQUIRED: [CloseCode.PLACE_INVALID, 'this place was admitted: resume it with its place token'],
  ACCESS_REFUSED: [CloseCode.ACCESS_REFUSED, 'this lane needs a valid access code or invite'],
  UNKNOWN_LANE: [CloseCode.UNKNOWN_LANE, 'no such lane'],
};

export const GUARD_CLOSE: Record<Exclude<GuardVerdict, 'ok'>, [number, string]> = {
  RATE_LIMITED: [CloseCode.RATE_LIMITED, 'too many joins from this address'],
  PLACE_CAP: [CloseCode.RATE_LIMITED, 'too many places from this address'],
  POW_REPLAY: [CloseCode.POW_INVALID, 'proof of work already used; fetch a new challenge'],
  REVOKED: [CloseCode.REVOKED, 'revoked'],
};

/** Shape check of a join (WebSocket message or HTTP body); the reason when malformed. */
export function joinShapeError(msg: Partial<JoinMsg>): string | null {
  if (msg.cid !== undefined && (typeof msg.cid !== 'string' || !CID_PATTERN.test(msg.cid))) return 'bad cid';
  if (msg.place !== undefined && typeof msg.place !== 'string') return 'bad place';
  if (msg.pow !== undefined && (typeof msg.pow !== 'object' || msg.pow === null)) return 'bad pow';
  if (msg.jwk !== undefined && (typeof msg.jwk !== 'object' || msg.jwk === null)) return 'bad jwk';
  if (msg.lane !== undefined && typeof msg.lane !== 'string') return 'bad lane';
  if (msg.code !== undefined && typeof msg.code !== 'string') return 'bad code';
  if (msg.invite !== undefined && typeof msg.invite !== 'string') return 'bad invite';
  return null;
}

export async function handleJoin(g: GateContext, ws: Socket, msg: JoinMsg): Promise<void> {
  const d = ws.getUserData();
  const t0 = performance.now();
  const end = (code: number, reason: string) => {
    if (!d.closed) ws.cork(() => ws.end(code, reason));
  };
  const now = g.now();
  const shape = joinShapeError(msg);
  if (shape) return end(CloseCode.BAD_MESSAGE, shape);
  const rec = g.events.get(d.evt);
  if (!rec) return end(CloseCode.UNKNOWN_EVENT, 'no such event');
  const cid = msg.cid ?? '';
  let resume = '';
  let pow = { id: '', exp: 0 };
  if (msg.place !== undefined) {
    // A resume with a valid place token already paid its proof-of-work when it first joined.
    const id = verifyPlace(g.placeSecret, d.evt, msg.place);
    if (!id) return end(CloseCode.PLACE_INVALID, 'invalid place token');
    resume = id;
  } else {
    const min = powDifficultyAt(rec.config, g.joinGuard.joinsPerSecond(d.evt, now));
    const solved = verifyPow(g.placeSecret, d.evt, min, msg.pow, now, { address: d.ip, cid });
    if (!solved) return end(CloseCode.POW_INVALID, 'proof of work missing or wrong');
    pow = solved;
  }
  if (rec.config.bindTickets && !hasUsableKey(msg.jwk)) return end(CloseCode.KEY_REFUSED, NO_KEY);
  // Marked as joining across the await, so a second join meanwhile is refused (ws.ts).
  d.joining = true;
  let j: JoinResult;
  try {
    // After the proof of work: each guess at a code or invite costs one.
    const lane = await resolveLane(rec.config, msg, g.codeSalts, now);
    if (!lane.ok) return end(...REFUSAL_CLOSE[lane.reason]);
    const r = await publicJoin(g.joins, g.joinGuard, d.evt, {
      lane: lane.lane,
      address: d.ip,
      cid,
      resumePlaceId: resume,
      placeId: resume ? '' : newPlaceId(),
      powId: pow.id,
      powExp: pow.exp,
      now,
    });
    if (r.verdict !== 'ok') return end(...GUARD_CLOSE[r.verdict]);
    if (!r.join) throw new Error('join counted but not made');
    j = r.join;
  } catch (err) {
    if (err instanceof JoinRefused) return end(...REFUSAL_CLOSE[err.reason]);
    throw err;
  } finally {
    d.joining = false;
  }
  if (rec.config.bindTickets) {
    // Before the socket is registered: a ticket for this place is only ever signed with the key.
    d.joining = true;
    try {
      const b = await bindPlaceKey(g.redis, g.prefix, d.evt, j.placeId, msg.jwk);
      if (!b.ok) {
        // The join Lua took the place out of `absent`; put it back (a holder elsewhere
        // re-asserts it within 5 s), so a refused copy cannot keep an abandoned place alive.
        if (j.phase !== 'admitted') g.absence.mark(d.evt, j.placeId, g.now());
        return end(CloseCode.KEY_REFUSED, b.reason);
      }
      d.jkt = b.jkt;
    } finally {
      d.joining = false;
    }
  }
  if (d.closed) {
    if (j.phase !== 'admitted') g.absence.mark(d.evt, j.placeId, g.now());
    return;
  }
  d.placeId = j.placeId;
  d.phase = j.phase;
  d.score = j.score ?? 0;
  d.lane = j.lane ?? -1;
  g.absence.unmark(d.evt, j.placeId);
  g.sockets.add(d.evt, j.placeId, ws);
  const admittedAt = j.admittedAt ?? g.delivery.admittedMeanwhile(d.evt, j.placeId);
  ws.cork(() => {
    ws.send(JSON.stringify(welcomeOf(g.placeSecret, d.evt, j, laneId(rec.config, j.lane))));
    if (admittedAt !== null) return;
    ws.subscribe(topicOf(d.evt));
    const frame = g.frames.get(d.evt);
    if (frame) ws.send(frame);
  });
  g.metrics.joinSeconds.observe((performance.now() - t0) / 1000);
  if (admittedAt !== null) return g.delivery.send(ws, d.evt, j.placeId, admittedAt);
  // Joined the pre-queue while the sale was opening: fetch the number the shuffle gave.
  if (j.phase === 'prequeue' && g.events.get(d.evt)?.state !== 'prequeue') await sendPlaces(g, d.evt, [ws]);
}

/** After the start: tell pre-queue sockets the ticket number the shuffle gave them. */
export async function sendPlaces(g: GateContext, evt: string, sockets: Socket[]): Promise<void> {
  const queue = eventKeys(g.prefix, evt).queue;
  const cfg = g.events.get(evt)?.config;
  const lanes = cfg?.lanes ?? [];
  for (let i = 0; i < sockets.length; i += 1000) {
    const chunk = sockets.slice(i, i + 1000).filter((ws) => !ws.getUserData().closed);
    if (!chunk.length) continue;
    const scores = (await g.redis.zmscore(queue, ...chunk.map((ws) => ws.getUserData().placeId))) as (
      | string
      | null
    )[];
    chunk.forEach((ws, n) => {
      const d = ws.getUserData();
      const s = scores[n];
      if (d.closed || s === null || s === undefined || d.phase !== 'prequeue') return;
      d.phase = 'queue';
      const { lane, number } = splitScore(Number(s));
      d.score = number;
      const id = lanes.length ? laneId(cfg, lane) : undefined;
      if (id) d.lane = lane;
      ws.cork(() => ws.send(JSON.stringify({ t: 'place', score: d.score, ...(id ? { lane: id } : {}) } satisfies PlaceMsg)));
    });
  }
}
