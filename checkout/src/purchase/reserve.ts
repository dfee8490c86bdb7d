// The atomic step of a purchase: one call of purchase-10.lua (ticket issued by the gate and
// unused, not revoked, per-shopper limit, stock, reservation with expiry).
import {
  eventKeys,
  purchaseKeys,
  LuaCode,
  luaCodeToError,
  type Redis,
  runScript,
  SluiceError,
} from '@sluice/shared';
import { parseReservation, type ReservationRecord } from '../orders/reservation.ts';

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
  /** The open reservation, or null when a replayed order's reservation is already closed. */
  reservation: ReservationRecord | null;
}

type LuaReply = number | [string, number, number, string];

export async function reserve(redis: Redis, prefix: string, p: ReserveInput): Promise<Reserved> {
  const k = eventKeys(prefix, p.evt);
  const reply = await runScript<LuaReply>(redis, 'purchase', purchaseKeys(k), [
    p.jti,
    p.sub,
    p.sku,
    p.qty,
    p.orderId,
    p.idempotencyKey ?? '',
    p.now,
    p.expiresAt,
    p.ticketDigest,
  ]);
  if (typeof reply === 'number') {
    const code = luaCodeToError[reply];
    if (!code) throw new Error(`purchase script returned unknown code ${reply}`);
    if (reply === LuaCode.BAD_ARGS) throw new Error('purchase script refused its arguments');
    throw new SluiceError(code);
  }
  const [orderId, replay, soldOutVersion, rec] = reply;
  return {
    orderId,
    replay: replay === 1,
    soldOutVersion,
    reservation: rec ? parseReservation(rec) : null,
  };
}
