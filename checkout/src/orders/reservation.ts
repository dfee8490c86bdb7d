// The reservation record written by the purchase script and the job built from it.
import type { OrderJobData } from './queue.ts';

/** JSON stored in the event's `reservation` hash by purchase-10.lua. */
export interface ReservationRecord {
  sku: string;
  qty: number;
  jti: string;
  sub: string;
  at: number;
  price: number;
}

export function parseReservation(json: string): ReservationRecord {
  const r = JSON.parse(json) as ReservationRecord;
  if (typeof r.sku !== 'string' || typeof r.qty !== 'number' || typeof r.jti !== 'string') {
    throw new Error(`malformed reservation record ${json.slice(0, 200)}`);
  }
  return r;
}

export function jobFromReservation(
  evt: string,
  orderId: string,
  r: ReservationRecord,
  idempotencyKey: string | null,
): OrderJobData {
  return {
    orderId,
    evt,
    sku: r.sku,
    qty: r.qty,
    jti: r.jti,
    sub: r.sub,
    unitPriceCents: r.price,
    idempotencyKey,
    at: r.at,
  };
}
