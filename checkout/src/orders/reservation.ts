// The reservation record written by the purchase script.

/** JSON stored in the event's `reservation` hash by purchase-11.lua. */
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
