// One function per operator action: validate, apply through Redis (which announces the change
// on the control channel), and return what the audit log records as before → after, with an
// `undo` that puts Redis back if recording the change fails (audit.ts). PostgreSQL writes go
// through `db`, the audit connection, so they commit or roll back with the audit row.
import {
  createEvent,
  eventKeys,
  getEvent,
  globalKeys,
  listEventIds,
  manualTransition,
  persistEvent,
  publishControl,
  type EventRecord,
  type Pool,
  type Redis,
  type Kek,
  rotateKey,
  runScript,
  withdrawKey,
  SluiceError,
  setEventState,
  updateEvent,
} from '@sluice/shared';
import type { Change } from './audit.ts';
import type { PoolClient } from '@sluice/shared';
import type { EventPatch, StateAction } from './bodies.ts';

export interface Ctx {
  redis: Redis;
  pool: Pool;
  prefix: string;
  /** Seals the private part of a new signing key (SLUICE_KEY_ENCRYPTION_KEY). */
  kek: Kek;
}

async function mustGet(ctx: Ctx, id: string): Promise<EventRecord> {
  const rec = await getEvent(ctx.redis, ctx.prefix, id);
  if (!rec) throw new SluiceError('UNKNOWN_EVENT');
  return rec;
}

/** Create in Redis first (the id's uniqueness is decided there), then the catalogue rows; undo Redis if PostgreSQL fails. */
export async function createEventAction(ctx: Ctx, body: unknown, now: number): Promise<Change<EventRecord>> {
  const rec = await createEvent(ctx.redis, ctx.prefix, body, now);
  const undo = async () => {
    await ctx.redis.del(...Object.values(eventKeys(ctx.prefix, rec.config.id)));
    await ctx.redis.srem(globalKeys(ctx.prefix).events, rec.config.id);
  };
  try {
    // Its own transaction: a catalogue row without its Redis event is inert (re-creating the id upserts it).
    await persistEvent(ctx.pool, rec.config);
  } catch (err) {
    await undo();
    throw new SluiceError('UNAVAILABLE', { message: 'Could not record the event; nothing was created.', cause: err });
  }
  return { before: null, after: { config: rec.config, state: rec.state, version: rec.version }, result: rec, undo };
}

function pick(rec: EventRecord, keys: readonly string[]): Record<string, unknown> {
  const c = rec.config as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, c[k]]));
}

export async function editEventAction(
  ctx: Ctx,
  db: PoolClient,
  id: string,
  patch: EventPatch,
  expectVersion: number | undefined,
  now: number,
): Promise<Change<EventRecord>> {
  const opts = expectVersion === undefined ? { now, manual: true } : { now, expectVersion, manual: true };
  const { before, after } = await updateEvent(ctx.redis, ctx.prefix, id, patch, opts);
  const keys = Object.keys(patch);
  if (patch.rate !== undefined && before.config.autopilot.enabled && !after.config.autopilot.enabled) keys.push('autopilot');
  // Back to the old values, unless someone changed the event again meanwhile.
  const undo = async () => {
    await updateEvent(ctx.redis, ctx.prefix, id, pick(before, keys), { now, expectVersion: after.version });
  };
  if (patch.name !== undefined) {
    try {
      await db.query('UPDATE events SET name = $2 WHERE id = $1', [id, patch.name]);
    } catch (err) {
      await undo();
      throw err;
    }
  }
  return {
    before: { ...pick(before, keys), version: before.version },
    after: { ...pick(after, keys), version: after.version },
    result: after,
    undo,
  };
}

/**
 * pause / resume / close set the state directly. `open` means "start now": it moves startAt
 * (and prequeueAt) to now and leaves the transition to the admitter, which reveals the seed and
 * runs the pre-queue shuffle exactly as at a scheduled start.
 */
export async function stateAction(ctx: Ctx, id: string, action: StateAction, now: number): Promise<Change<EventRecord>> {
  const rec = await mustGet(ctx, id);
  const next = manualTransition(rec.state, action);
  if (next === null) {
    throw new SluiceError('CONFLICT', { message: `Cannot ${action} an event that is ${rec.state}.` });
  }
  if (action === 'open') {
    const patch = { startAt: Math.min(rec.config.startAt, now), prequeueAt: Math.min(rec.config.prequeueAt, now) };
    const { after } = await updateEvent(ctx.redis, ctx.prefix, id, patch, { now });
    const back = { startAt: rec.config.startAt, prequeueAt: rec.config.prequeueAt };
    return {
      before: { state: rec.state, startAt: rec.config.startAt, version: rec.version },
      after: { state: 'open (at next admitter tick)', startAt: after.config.startAt, version: after.version },
      result: after,
      undo: async () => {
        await updateEvent(ctx.redis, ctx.prefix, id, back, { now, expectVersion: after.version });
      },
    };
  }
  const version = await setEventState(ctx.redis, ctx.prefix, id, next, now);
  return {
    before: { state: rec.state, version: rec.version },
    after: { state: next, version },
    result: { ...rec, state: next, version },
    undo: async () => {
      // Only if nothing moved the event since (the admitter, a sale, another operator).
      const cur = await getEvent(ctx.redis, ctx.prefix, id);
      if (cur?.version === version) await setEventState(ctx.redis, ctx.prefix, id, rec.state, now);
    },
  };
}

export interface Revocation {
  kind: 'ticket' | 'place';
  id: string;
  at: number;
  version: number;
}

/**
 * Revoke a ticket jti or a place id (the jti is the place id), atomically in Redis (revoke Lua):
 * marked with its owner's client id in the `revoked` hash (join guard, checkout), out of the line
 * and of `admitted`; every gate closes its socket (REVOKED, 4012) on the control message.
 */
export async function revokeAction(
  ctx: Ctx,
  evt: string,
  kind: 'ticket' | 'place',
  target: string,
  now: number,
): Promise<Change<Revocation>> {
  const rec = await mustGet(ctx, evt);
  const k = eventKeys(ctx.prefix, evt);
  const [prev] = await runScript<[string, string]>(
    ctx.redis,
    'revoke',
    [k.event, k.revoked, k.queue, k.prequeue, k.absent, k.admitted, k.admittedAt, k.ident, k.owner],
    [target, now],
  );
  const previous = prev === '' ? null : prev;
  await publishControl(ctx.redis, ctx.prefix, { evt, kind: 'revoke', version: rec.version, at: now, id: target });
  const result: Revocation = { kind, id: target, at: now, version: rec.version };
  const undo = async () => {
    if (previous === null) await ctx.redis.hdel(k.revoked, target);
    else await ctx.redis.hset(k.revoked, target, previous);
    await publishControl(ctx.redis, ctx.prefix, { evt, kind: 'revoke', version: rec.version, at: now });
  };
  return { before: previous === null ? null : { revokedAt: Number(previous) }, after: { kind, id: target, revokedAt: now }, result, undo };
}

/**
 * A new signing key. No undo (gates may already sign with it): if recording fails, its audit row
 * stays 'pending' (intent recorded, outcome not) and the error is logged. The old one stays in the JWKS for the longest ticket lifetime of any event
 * (tickets it signed stay verifiable until they expire).
 */
async function longestTicketTtlS(ctx: Ctx): Promise<number> {
  let maxTtl = 0;
  for (const id of await listEventIds(ctx.redis, ctx.prefix)) {
    const rec = await getEvent(ctx.redis, ctx.prefix, id);
    if (rec) maxTtl = Math.max(maxTtl, rec.config.ticketTtlS);
  }
  return maxTtl || 86_400;
}

/**
 * Emergency withdrawal of a leaked key: unpublished from the JWKS at once (gates reload on the
 * control message), refused at checkout from its next JWKS refresh (CHECKOUT_JWKS_REFRESH_MS).
 * A current key is replaced by a new one first. No undo: a leaked key must not come back.
 */
export async function withdrawKeyAction(
  ctx: Ctx,
  kid: string,
  now: number,
): Promise<Change<{ kid: string; current: string; at: number }>> {
  const r = await withdrawKey(ctx.redis, ctx.prefix, kid, await longestTicketTtlS(ctx), now, ctx.kek);
  if (!r.withdrawn) throw new SluiceError('NOT_FOUND', { message: `no signing key ${kid}` });
  return { before: { kid, published: true }, after: { kid, published: false }, result: { kid, current: r.current, at: now } };
}

export async function rotateKeyAction(ctx: Ctx, now: number): Promise<Change<{ previous: string | null; current: string; at: number }>> {
  const r = await rotateKey(ctx.redis, ctx.prefix, await longestTicketTtlS(ctx), now, ctx.kek);
  return { before: { kid: r.previous }, after: { kid: r.current }, result: { ...r, at: now } };
}
