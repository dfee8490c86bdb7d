// The lanes' access codes in the admin API: upload (bounded batches), revoke, and the counters
// per lane. The audit log records the lane and how many codes, never a code.
import {
  addCodes,
  getEvent,
  laneCounts,
  laneQueues,
  type LaneConfig,
  type Logger,
  parseCodes,
  type Redis,
  revokeCodes,
  SluiceError,
} from '@sluice/shared';
import type { Request, Server } from 'hyper-express';
import type { Principal } from '../auth/guard.ts';
import { handled, jsonBody, ok } from '../http/respond.ts';
import type { ChangeFn } from './audit.ts';

export interface LaneRouteDeps {
  redis: Redis;
  prefix: string;
  log: Logger;
  guard: (req: Request, need: 'read' | 'write') => Promise<Principal>;
  eventId: (req: Request) => string;
  record: <T>(who: Principal, action: string, evt: string | null, intent: unknown, fn: ChangeFn<T>) => Promise<T>;
}

export function registerLaneRoutes(app: Server, d: LaneRouteDeps): void {
  /** The event's lane named in the path, which must take access codes. */
  const codeLane = async (req: Request): Promise<{ evt: string; index: number; lane: LaneConfig }> => {
    const evt = d.eventId(req);
    const rec = await getEvent(d.redis, d.prefix, evt);
    if (!rec) throw new SluiceError('UNKNOWN_EVENT');
    const index = (rec.config.lanes ?? []).findIndex((l) => l.id === req.path_parameters.lane);
    if (index < 0) throw new SluiceError('UNKNOWN_LANE');
    const lane = rec.config.lanes[index]!;
    if (lane.access !== 'code') {
      throw new SluiceError('INVALID_FIELD', { field: 'lane', message: `lane: ${lane.id} does not take access codes (access ${lane.access})` });
    }
    return { evt, index, lane };
  };

  app.get(
    '/v1/events/:id/lanes',
    handled(d.log, async (req, res) => {
      await d.guard(req, 'read');
      const evt = d.eventId(req);
      const rec = await getEvent(d.redis, d.prefix, evt);
      if (!rec) throw new SluiceError('UNKNOWN_EVENT');
      const lanes = rec.config.lanes ?? [];
      const [counts, queues] = await Promise.all([
        laneCounts(d.redis, d.prefix, evt, lanes),
        laneQueues(d.redis, d.prefix, evt, lanes.length),
      ]);
      ok(res, { mode: rec.config.laneMode ?? 'shares', lanes: counts.map((c, i) => ({ ...c, ...queues[i] })) });
    }),
  );

  app.post(
    '/v1/events/:id/lanes/:lane/codes',
    handled(d.log, async (req, res) => {
      const who = await d.guard(req, 'write');
      const codes = parseCodes(await jsonBody(req));
      const { evt, index, lane } = await codeLane(req);
      const r = await d.record(who, 'lane.codes.add', evt, { lane: lane.id, count: codes.length }, async () => {
        const c = await addCodes(d.redis, d.prefix, evt, index, codes);
        // Not undone: a code on record is harmless until handed out, and the counters say so.
        return { before: null, after: { lane: lane.id, added: c.added }, result: { lane: lane.id, ...c } };
      });
      ok(res, r, 201);
    }),
  );

  app.post(
    '/v1/events/:id/lanes/:lane/codes/revoke',
    handled(d.log, async (req, res) => {
      const who = await d.guard(req, 'write');
      const codes = parseCodes(await jsonBody(req));
      const { evt, index, lane } = await codeLane(req);
      const r = await d.record(who, 'lane.codes.revoke', evt, { lane: lane.id, count: codes.length }, async () => {
        const c = await revokeCodes(d.redis, d.prefix, evt, index, codes);
        return { before: null, after: { lane: lane.id, revoked: c.revoked }, result: { lane: lane.id, ...c } };
      });
      ok(res, r);
    }),
  );
}
