// Public HTTP endpoints of an event: info, status (CDN-cacheable), the published ones
// (published.ts: challenge, pre-queue, revocations), and the fallback for clients without
// WebSockets (join, poll, leave).
// CORS answers only the event's allowed origins, always with `Vary: Origin`.
import {
  laneId,
  PLACE_HEADER,
  powDifficultyAt,
  type PlaceStatus,
  type PublicEventInfo,
  SluiceError,
  type StateFrame,
} from '@sluice/shared';
import type { TemplatedApp } from 'uWebSockets.js';
import { verifyPow } from '../abuse/pow.ts';
import { resolveLane } from '../lanes/access.ts';
import { buildFrame } from '../broadcast/frame.ts';
import type { GateContext } from '../context.ts';
import { JoinRefused, joinQueue, leaveQueue, publicJoin, welcomeOf } from '../queue/join.ts';
import { newPlaceId, verifyPlace } from '../queue/place-token.ts';
import { GUARD_CLOSE, joinShapeError, REFUSAL_CLOSE } from '../queue/ws-join.ts';
import { bindPlaceKey, boundKeyOf, hasUsableKey, NO_KEY } from '../tickets/binding.ts';
import { prepare, type Req } from './event-request.ts';
import { publishedRoutes } from './published.ts';
import { handleAsync, parseJsonObject, readBody, sendJson } from './respond.ts';

const GUARD_ERROR = {
  RATE_LIMITED: 'RATE_LIMITED',
  PLACE_CAP: 'RATE_LIMITED',
  POW_REPLAY: 'FORBIDDEN',
  REVOKED: 'FORBIDDEN',
} as const;

const REFUSAL_ERROR = {
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  NOT_OPEN: 'EVENT_NOT_OPEN',
  EVENT_CLOSED: 'EVENT_NOT_OPEN',
  SOLD_OUT: 'SOLD_OUT',
  PLACE_GONE: 'NOT_FOUND',
  TOKEN_REQUIRED: 'FORBIDDEN',
  ACCESS_REFUSED: 'ACCESS_REFUSED',
  UNKNOWN_LANE: 'UNKNOWN_LANE',
} as const;

function currentFrame(g: GateContext, r: Req): string {
  const f = g.frames.get(r.evt);
  if (f) {
    // The event changed since the last tick (operator action): answer the new state now.
    const parsed = JSON.parse(f) as StateFrame;
    if (parsed.st === r.rec.state) return f;
    return JSON.stringify({ ...parsed, st: r.rec.state });
  }
  return JSON.stringify(
    buildFrame({ rec: r.rec, served: 0, tail: 0, len: 0, rate: 0, adm: 0, tick: 0, now: g.now() }),
  );
}

export function eventRoutes(g: GateContext, app: TemplatedApp): void {
  // GatePaths percent-encodes the id, so the route patterns are spelled out here.
  const base = '/v1/events/:id';
  app.options(`${base}/*`, (res, req) => {
    const r = prepare(g, res, req);
    if (!r) return;
    res.writeStatus('204 No Content');
    for (const [k, v] of Object.entries(r.cors)) res.writeHeader(k, v);
    res.writeHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.writeHeader('access-control-allow-headers', `content-type, ${PLACE_HEADER}`);
    res.writeHeader('access-control-max-age', '600');
    res.end();
  });

  app.get(base, (res, req) => {
    const r = prepare(g, res, req);
    if (!r) return;
    const c = r.rec.config;
    const info: PublicEventInfo = {
      id: c.id,
      name: c.name,
      state: r.rec.state,
      prequeueAt: c.prequeueAt,
      startAt: c.startAt,
      seedHash: r.rec.seedHash,
      seed: r.rec.seed,
      powDifficulty: c.powDifficulty,
      bindTickets: c.bindTickets,
      returnUrl: c.returnUrl,
      returnUrls: c.returnUrls ?? [],
      alwaysOn: c.alwaysOn ?? false,
      ...(c.lanes?.length ? { lanes: c.lanes.map((l) => ({ id: l.id, access: l.access })) } : {}),
    };
    sendJson(res, 200, info, { ...r.cors, 'cache-control': 'public, max-age=1' });
  });

  app.get(`${base}/status`, (res, req) => {
    const r = prepare(g, res, req);
    if (!r) return;
    res.writeStatus('200 OK');
    for (const [k, v] of Object.entries({
      ...r.cors,
      'cache-control': 'public, max-age=1',
      'content-type': 'application/json',
    })) {
      res.writeHeader(k, v);
    }
    res.end(currentFrame(g, r));
  });

  // Bound to the caller's address and `?cid=`; harder while the event's joins per second surge.
  publishedRoutes(g, app, base);

  app.post(`${base}/join`, (res, req) => {
    const contentType = req.getHeader('content-type');
    const r = prepare(g, res, req);
    if (!r) return;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        // JSON only: a text/plain or form post is what a page on another site can send without
        // a CORS preflight.
        if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new SluiceError('UNSUPPORTED_MEDIA_TYPE');
        const body = parseJsonObject(await readBody(res, g.config.maxPayload));
        const now = g.now();
        if (joinShapeError(body)) throw new SluiceError('INVALID_BODY');
        const cid = (body.cid as string | undefined) ?? '';
        let resume = '';
        let pow: { id: string; exp: number } | null = { id: '', exp: 0 };
        if (body.place !== undefined) {
          resume = verifyPlace(g.placeSecret, r.evt, body.place) ?? '';
          if (!resume)
            throw new SluiceError('INVALID_FIELD', { field: 'place', message: 'invalid place token' });
        } else {
          const min = powDifficultyAt(r.rec.config, g.joinGuard.joinsPerSecond(r.evt, now));
          pow = verifyPow(g.placeSecret, r.evt, min, body.pow, now, { address: r.ip, cid });
        }
        if (r.rec.config.bindTickets && !hasUsableKey(body.jwk))
          throw new SluiceError('FORBIDDEN', { message: NO_KEY });
        // A wrong proof is still counted against the rate (so wrong proofs cannot flood for
        // free), but joins nothing and spends nothing.
        // After the proof of work: each guess at a code or invite costs one.
        const lane = pow ? await resolveLane(r.rec.config, body, g.codeSalts, now) : { ok: true as const, lane: null };
        if (!lane.ok) throw new SluiceError(lane.reason);
        const { verdict, join } = await publicJoin(g.joins, g.joinGuard, r.evt, {
          lane: lane.lane,
          address: r.ip,
          cid,
          resumePlaceId: resume,
          placeId: resume || !pow ? '' : newPlaceId(),
          powId: pow?.id ?? '',
          powExp: pow?.exp ?? 0,
          now,
        }).catch(refusalToHttp);
        if (verdict === 'RATE_LIMITED') throw new SluiceError('RATE_LIMITED');
        if (!pow) throw new SluiceError('FORBIDDEN', { message: 'proof of work missing or wrong' });
        if (verdict !== 'ok')
          throw new SluiceError(GUARD_ERROR[verdict], { message: GUARD_CLOSE[verdict][1] });
        if (!join) throw new Error('join counted but not made');
        const j = join;
        // No socket holds this place: the grace period runs from the last poll.
        if (j.phase !== 'admitted') g.absence.mark(r.evt, j.placeId, now);
        if (r.rec.config.bindTickets) {
          const b = await bindPlaceKey(g.redis, g.prefix, r.evt, j.placeId, body.jwk);
          if (!b.ok) throw new SluiceError('FORBIDDEN', { message: b.reason });
        }
        reply(200, JSON.stringify(welcomeOf(g.placeSecret, r.evt, j, laneId(r.rec.config, j.lane))), {
          ...r.cors,
          'content-type': 'application/json',
          'cache-control': 'no-store',
        });
      },
      r.cors,
    );
  });

  app.get(`${base}/place`, (res, req) => {
    const r = prepare(g, res, req);
    if (!r) return;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        const now = g.now();
        if (!g.publicLimiter.take(r.ip, now)) throw new SluiceError('RATE_LIMITED');
        const placeId = verifyPlace(g.placeSecret, r.evt, r.place);
        if (!placeId)
          throw new SluiceError('INVALID_FIELD', { field: PLACE_HEADER, message: 'invalid place token' });
        const j = await joinQueue(g.redis, g.prefix, r.evt, { cid: '', resumePlaceId: placeId, now }).catch(
          refusalToHttp,
        );
        const lid = laneId(r.rec.config, j.lane);
        const status: PlaceStatus = { phase: j.phase, score: j.score, ...(lid ? { lane: lid } : {}) };
        if (j.admittedAt !== null) {
          // A bound place's ticket carries the key it was bound to: a copied place token gets a
          // ticket that only the first browser can use.
          const jkt = r.rec.config.bindTickets
            ? await boundKeyOf(g.redis, g.prefix, r.evt, placeId)
            : undefined;
          if (r.rec.config.bindTickets && !jkt)
            throw new SluiceError('FORBIDDEN', { message: 'this place has no key' });
          const t = await g.issuer.issue(r.evt, placeId, j.admittedAt, r.rec.config.ticketTtlS, jkt);
          status.ticket = t.ticket;
          status.exp = t.exp;
        } else g.absence.mark(r.evt, placeId, now);
        reply(200, JSON.stringify(status), {
          ...r.cors,
          'content-type': 'application/json',
          'cache-control': 'no-store',
        });
      },
      r.cors,
    );
  });

  app.post(`${base}/leave`, (res, req) => {
    const r = prepare(g, res, req);
    if (!r) return;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        const placeId = verifyPlace(g.placeSecret, r.evt, r.place);
        if (!placeId)
          throw new SluiceError('INVALID_FIELD', { field: PLACE_HEADER, message: 'invalid place token' });
        await leaveQueue(g.redis, g.prefix, r.evt, placeId);
        reply(204, '', { ...r.cors, 'cache-control': 'no-store' });
      },
      r.cors,
    );
  });
}

/** A join refused by the queue (closed, sold out, …) as the HTTP error of the same meaning. */
function refusalToHttp(err: unknown): never {
  if (err instanceof JoinRefused)
    throw new SluiceError(REFUSAL_ERROR[err.reason], { message: REFUSAL_CLOSE[err.reason][1] });
  throw err;
}
