// Events in Redis. Every change bumps the event's version and is announced on the control
// channel, so every gate and checkout process applies it within a second (they also re-read on
// a 1 s timer in case a pub/sub message is lost).
import type { Redis } from '../redis.ts';
import { eventKeys, globalKeys } from '../keys.ts';
import { SluiceError } from '../protocol/errors.ts';
import { runScript } from '../redis.ts';
import { EVENT_STATES, type EventState } from '../protocol/ws.ts';
import { type EventConfig, type EventRecord, validateEvent } from './model.ts';
import { newSeed, seedHash } from './shuffle.ts';
import { sameLanes } from '../lanes/model.ts';

export interface ControlMessage {
  /** Event id, or '*' for global changes such as key rotation. */
  evt: string;
  kind: 'event' | 'state' | 'keys' | 'revoke' | 'stock';
  version: number;
  at: number;
  /** `revoke`: the revoked place id / jti, so every gate closes its socket at once. */
  id?: string;
}

export async function publishControl(redis: Redis, prefix: string, msg: ControlMessage): Promise<void> {
  await redis.publish(globalKeys(prefix).control, JSON.stringify(msg));
}

function parseRecord(h: Record<string, string>): EventRecord | null {
  if (!h.config || !h.state) return null;
  const state = h.state as EventState;
  if (!EVENT_STATES.includes(state)) return null;
  return {
    config: JSON.parse(h.config) as EventConfig,
    state,
    version: Number(h.version ?? 0),
    seedHash: h.seedHash || null,
    seed: h.seed || null,
  };
}

/**
 * What the purchase script needs per sku, `limitPerShopper priceCents`, kept in the `products`
 * hash beside the config (written in the same MULTI) so a purchase does not decode the config.
 */
export function productLimits(config: EventConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of config.products) out[p.sku] = `${p.limitPerShopper} ${p.priceCents}`;
  return out;
}

export async function getEvent(redis: Redis, prefix: string, id: string): Promise<EventRecord | null> {
  return parseRecord(await redis.hgetall(eventKeys(prefix, id).event));
}

export async function listEventIds(redis: Redis, prefix: string): Promise<string[]> {
  return (await redis.smembers(globalKeys(prefix).events)).sort();
}

/**
 * Create an event: config, initial state (from the clock), stock per product, and a committed
 * shuffle seed. Fails with CONFLICT when the id exists.
 */
export async function createEvent(
  redis: Redis,
  prefix: string,
  input: unknown,
  now = Date.now(),
): Promise<EventRecord> {
  const config = validateEvent(input);
  const k = eventKeys(prefix, config.id);
  const seed = newSeed();
  // The admitter moves scheduled → prequeue → open itself (it runs the shuffle at the start),
  // so every event begins as scheduled, even one whose start is already past.
  const state: EventState = 'scheduled';
  const created = await redis.hsetnx(k.event, 'config', JSON.stringify(config));
  if (created === 0) throw new SluiceError('CONFLICT', { message: `event ${config.id} exists` });
  const stock: Record<string, number> = {};
  for (const p of config.products) stock[p.sku] = p.stock;
  // The event's own keys in one MULTI (one hash tag, one slot), then the global index in a
  // separate call: on a cluster the two live on different slots. Readers tolerate the gap: an
  // event not yet in the index is simply not listed yet, and an id in the index whose hash is
  // incomplete (no `state`) reads as absent (parseRecord).
  await redis
    .multi()
    .hset(k.event, { state, version: 1, seedHash: seedHash(seed) })
    .set(k.seed, seed)
    .del(k.stock)
    .hset(k.stock, stock)
    .del(k.products)
    .hset(k.products, productLimits(config))
    .exec();
  // Fresh stock is right by construction: this Redis incarnation vouches for it (node-1.lua).
  await stampNode(redis, prefix, config.id);
  await redis.sadd(globalKeys(prefix).events, config.id);
  await publishControl(redis, prefix, { evt: config.id, kind: 'event', version: 1, at: now });
  return { config, state, version: 1, seedHash: seedHash(seed), seed: null };
}

/**
 * Replace an event's config with `patch` merged in, re-validated. Optimistic: `expectVersion`
 * (if given) must match. Stock is not touched here (see setStock). `manual`: an operator's change
 * (a rate set by hand switches the autopilot off).
 */
export async function updateEvent(
  redis: Redis,
  prefix: string,
  id: string,
  patch: Partial<Omit<EventConfig, 'id'>>,
  opts: { expectVersion?: number; now?: number; manual?: boolean } = {},
): Promise<{ before: EventRecord; after: EventRecord }> {
  const k = eventKeys(prefix, id);
  for (let attempt = 0; attempt < 5; attempt++) {
    await redis.watch(k.event);
    const before = await getEvent(redis, prefix, id);
    if (!before) {
      await redis.unwatch();
      throw new SluiceError('UNKNOWN_EVENT');
    }
    if (opts.expectVersion !== undefined && opts.expectVersion !== before.version) {
      await redis.unwatch();
      throw new SluiceError('CONFLICT');
    }
    const merged: Record<string, unknown> = { ...before.config, ...patch, id };
    // `autopilot` is patched field by field; an operator's manual rate change switches it off.
    const pilot = { ...before.config.autopilot, ...patch.autopilot };
    if (opts.manual && patch.rate !== undefined && patch.autopilot === undefined) pilot.enabled = false;
    merged.autopilot = pilot;
    const config = validateEvent(merged);
    if (before.state !== 'scheduled' && !sameLanes(before.config.lanes ?? [], config.lanes)) {
      await redis.unwatch();
      throw new SluiceError('INVALID_FIELD', { field: 'lanes', message: 'lanes: the lane ids and their order are fixed once the pre-queue has opened' });
    }
    const version = before.version + 1;
    const res = await redis
      .multi()
      .hset(k.event, { config: JSON.stringify(config), version })
      .del(k.products)
      .hset(k.products, productLimits(config))
      .exec();
    if (res === null) continue; // raced with another writer
    await publishControl(redis, prefix, { evt: id, kind: 'event', version, at: opts.now ?? Date.now() });
    return { before, after: { ...before, config, version } };
  }
  throw new SluiceError('CONFLICT');
}

/** Set the state (after the caller checked the transition is allowed). */
export async function setEventState(
  redis: Redis,
  prefix: string,
  id: string,
  state: EventState,
  now = Date.now(),
): Promise<number> {
  const k = eventKeys(prefix, id);
  const [, [, version]] = (await redis
    .multi()
    .hset(k.event, 'state', state)
    .hincrby(k.event, 'version', 1)
    .exec()) as [unknown, [unknown, number]];
  await publishControl(redis, prefix, { evt: id, kind: 'state', version, at: now });
  return version;
}

/** The node record of an event: which Redis incarnation vouched for its stock, and the current one. */
export async function readNode(redis: Redis, prefix: string, id: string): Promise<{ recorded: string; current: string }> {
  const [recorded, current] = await runScript<[string, string]>(redis, 'node', [eventKeys(prefix, id).event], ['read']);
  return { recorded, current };
}

/** Record the Redis node now serving the event as the one whose stock is known right. */
export async function stampNode(redis: Redis, prefix: string, id: string): Promise<void> {
  await runScript(redis, 'node', [eventKeys(prefix, id).event], ['stamp']);
}
