// The atomic step of a purchase: one call of purchase-11.lua (ticket issued by the gate and
// unused, not revoked, per-shopper limit, stock, reservation with expiry, and the order's entry in
// the event's order stream): a checkout is one round trip to Redis.
import {
  eventKeys,
  purchaseKeys,
  LuaCode,
  luaCodeToError,
  type Redis,
  runScript,
  SluiceError,
} from '@sluice/shared';

export interface ReserveInput {
  evt: string;
  jti: string;
  sub: string;
  /** SHA-256 of the presented ticket (ticketDigest); the script compares it with the gate's record. */
  ticketDigest: string;
  sku: string;
  qty: number;
  orderId: string;
  idempotencyKey: string | null;
  now: number;
  expiresAt: number;
}

export interface Reserved {
  orderId: string;
  /** True when this repeats the ticket's first use (same Idempotency-Key, or the same sku/qty while its reservation is open). */
  replay: boolean;
  /** > 0 when this purchase sold the last unit and moved the event to soldout at this version. */
  soldOutVersion: number;
}

type LuaReply = number | [string, number, number];

/** The script's KEYS per event, built once (eventKeys builds every key name of the event). */
const keysOf = new Map<string, string[]>();
const MAX_CACHED_EVENTS = 1024;

function keysFor(prefix: string, evt: string): string[] {
  const id = `${prefix}\n${evt}`;
  let keys = keysOf.get(id);
  if (!keys) {
    if (keysOf.size >= MAX_CACHED_EVENTS) keysOf.clear(); // bounded: event ids come from tickets
    keys = purchaseKeys(eventKeys(prefix, evt));
    keysOf.set(id, keys);
  }
  return keys;
}

export async function reserve(redis: Redis, prefix: string, p: ReserveInput): Promise<Reserved> {
  const reply = await runScript<LuaReply>(redis, 'purchase', keysFor(prefix, p.evt), [
    p.jti,
    p.sub,
    p.sku,
    p.qty,
    p.orderId,
    p.idempotencyKey ?? '',
    p.now,
    p.expiresAt,
    p.ticketDigest,
    p.evt,
  ]);
  if (typeof reply === 'number') {
    const code = luaCodeToError[reply];
    if (!code) throw new Error(`purchase script returned unknown code ${reply}`);
    if (reply === LuaCode.BAD_ARGS) throw new Error('purchase script refused its arguments');
    throw new SluiceError(code);
  }
  const [orderId, replay, soldOutVersion] = reply;
  return { orderId, replay: replay === 1, soldOutVersion };
}
