// The admin API under /v1/events (and /v1/keys): documented in dashboard/openapi.yaml. Every
// change goes through `audited`, is applied in Redis (announced on the control channel) and
// answered with the new state; reads are open to the viewer role.
import {
  getEvent,
  isEventId,
  listEventIds,
  loadKeyring,
  type Logger,
  type Pool,
  type Redis,
  SluiceError,
  validateEvent,
} from '@sluice/shared';
import type { Kek, prom } from '@sluice/shared';
import type { Request, Server } from 'hyper-express';
import type { Access } from '../auth/access.ts';
import { authorize, type Principal } from '../auth/guard.ts';
import { facts } from '../auth/routes.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Tokens } from '../auth/tokens.ts';
import { handled, jsonBody, ok } from '../http/respond.ts';
import type { LiveHub } from '../live/hub.ts';
import {
  type Ctx,
  createEventAction,
  editEventAction,
  revokeAction,
  rotateKeyAction,
  stateAction,
  withdrawKeyAction,
} from './actions.ts';
import { audited, type ChangeFn, listAudit } from './audit.ts';
import { parsePatch, parseRevocation, parseStockChange, STATE_ACTIONS } from './bodies.ts';
import { registerLaneRoutes } from './lanes.ts';
import { adjustStock } from './stock.ts';

export interface AdminDeps {
  redis: Redis;
  pool: Pool;
  prefix: string;
  /** Key-encryption key for new signing keys (parseKek(SLUICE_KEY_ENCRYPTION_KEY)). */
  kek: Kek;
  tokens: Tokens;
  sessions: SessionStore;
  extraOrigins: readonly string[];
  hub: LiveHub;
  log: Logger;
  changes: prom.Counter<'action'>;
  access: Access;
}

export function registerAdminRoutes(app: Server, d: AdminDeps): void {
  const ctx: Ctx = { redis: d.redis, pool: d.pool, prefix: d.prefix, kek: d.kek };
  const guard = async (req: Request, need: 'read' | 'write'): Promise<Principal> => {
    const f = facts(req);
    return authorize(await d.access.identify(req, f), f, need, d.extraOrigins);
  };
  const eventId = (req: Request): string => {
    const id = req.path_parameters.id ?? '';
    if (!isEventId(id)) throw new SluiceError('UNKNOWN_EVENT');
    return id;
  };
  // Inputs are parsed before this (a malformed request records nothing); see audit.ts for the order.
  const record = async <T>(who: Principal, action: string, evt: string | null, intent: unknown, fn: ChangeFn<T>) => {
    const result = await audited(d.pool, d.log, who.actor, action, evt, intent, fn);
    d.changes.inc({ action });
    d.log.info({ actor: who.actor, action, evt }, 'admin change');
    return result;
  };

  app.get(
    '/v1/events',
    handled(d.log, async (req, res) => {
      await guard(req, 'read');
      const events = [];
      for (const id of await listEventIds(d.redis, d.prefix)) {
        const rec = await getEvent(d.redis, d.prefix, id);
        if (rec) events.push({ id, name: rec.config.name, state: rec.state, version: rec.version, startAt: rec.config.startAt });
      }
      ok(res, { events });
    }),
  );

  app.post(
    '/v1/events',
    handled(d.log, async (req, res) => {
      const who = await guard(req, 'write');
      const body = await jsonBody(req);
      const evt = typeof (body as { id?: unknown })?.id === 'string' ? (body as { id: string }).id : null;
      validateEvent(body); // before the intent is recorded; createEvent validates again
      const rec = await record(who, 'event.create', evt, body, () => createEventAction(ctx, body, Date.now()));
      ok(res, rec, 201);
    }),
  );

  app.get(
    '/v1/events/:id',
    handled(d.log, async (req, res) => {
      await guard(req, 'read');
      const rec = await getEvent(d.redis, d.prefix, eventId(req));
      if (!rec) throw new SluiceError('UNKNOWN_EVENT');
      // The seed stays secret until the admitter reveals it (rec.seed is null until then).
      ok(res, rec);
    }),
  );

  app.patch(
    '/v1/events/:id',
    handled(d.log, async (req, res) => {
      const who = await guard(req, 'write');
      const id = eventId(req);
      const { patch, expectVersion } = parsePatch(await jsonBody(req));
      const after = await record(who, 'event.edit', id, { patch, expectVersion }, (db) =>
        editEventAction(ctx, db, id, patch, expectVersion, Date.now()),
      );
      ok(res, after);
    }),
  );

  for (const action of STATE_ACTIONS) {
    app.post(
      `/v1/events/:id/${action}`,
      handled(d.log, async (req, res) => {
        const who = await guard(req, 'write');
        const id = eventId(req);
        const after = await record(who, `event.${action}`, id, { action }, () => stateAction(ctx, id, action, Date.now()));
        ok(res, after);
      }),
    );
  }

  app.post(
    '/v1/events/:id/stock',
    handled(d.log, async (req, res) => {
      const who = await guard(req, 'write');
      const id = eventId(req);
      const { sku, delta } = parseStockChange(await jsonBody(req));
      const change = await record(who, 'stock.adjust', id, { sku, delta }, async (db) => {
        const { undo, ...c } = await adjustStock(d.redis, db, d.prefix, id, sku, delta, Date.now());
        const after = { sku, left: c.leftAfter, initial: c.initialAfter, state: c.state };
        return { before: { sku, left: c.leftBefore }, after, result: c, undo };
      });
      ok(res, change);
    }),
  );

  app.post(
    '/v1/events/:id/revocations',
    handled(d.log, async (req, res) => {
      const who = await guard(req, 'write');
      const id = eventId(req);
      const { kind, id: target } = parseRevocation(await jsonBody(req));
      const r = await record(who, `revoke.${kind}`, id, { kind, id: target }, () => revokeAction(ctx, id, kind, target, Date.now()));
      ok(res, r, 201);
    }),
  );

  app.get(
    '/v1/events/:id/audit',
    handled(d.log, async (req, res) => {
      await guard(req, 'read');
      const limit = Math.min(500, Math.max(1, Number(req.query_parameters.limit ?? 100) || 100));
      ok(res, { entries: await listAudit(d.pool, { eventId: eventId(req), limit }) });
    }),
  );

  app.get(
    '/v1/audit',
    handled(d.log, async (req, res) => {
      await guard(req, 'read');
      const limit = Math.min(500, Math.max(1, Number(req.query_parameters.limit ?? 100) || 100));
      ok(res, { entries: await listAudit(d.pool, { limit }) });
    }),
  );

  app.get(
    '/v1/keys',
    handled(d.log, async (req, res) => {
      await guard(req, 'read');
      const ring = await loadKeyring(d.redis, d.prefix).catch(() => null);
      ok(res, ring ? { current: ring.current.kid, published: ring.jwks.keys.map((k) => k.kid) } : { current: null, published: [] });
    }),
  );

  app.post(
    '/v1/keys/rotate',
    handled(d.log, async (req, res) => {
      const who = await guard(req, 'write');
      const r = await record(who, 'keys.rotate', null, null, () => rotateKeyAction(ctx, Date.now()));
      ok(res, r, 201);
    }),
  );

  app.post(
    '/v1/keys/:kid/withdraw',
    handled(d.log, async (req, res) => {
      const who = await guard(req, 'write');
      const kid = req.path_parameters.kid ?? '';
      if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(kid)) {
        throw new SluiceError('INVALID_FIELD', { field: 'kid', message: 'kid: not a key id' });
      }
      const r = await record(who, 'keys.withdraw', null, { kid }, () => withdrawKeyAction(ctx, kid, Date.now()));
      ok(res, r, 201);
    }),
  );

  registerLaneRoutes(app, { redis: d.redis, prefix: d.prefix, log: d.log, guard, eventId, record });

  app.get(
    '/v1/events/:id/stats',
    handled(d.log, async (req, res) => {
      await guard(req, 'read');
      const s = await d.hub.snapshot(eventId(req));
      if (!s) throw new SluiceError('UNKNOWN_EVENT');
      ok(res, s);
    }),
  );
}
