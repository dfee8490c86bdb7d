// The door: what checkout can tell about a ticket from its Authorization header alone, with no
// Redis call and no body. Every check but the signature (shape, alg, typ, kid, exp/nbf,
// iss/aud), then the event's in-process record of issued tickets (issued.ts): revoked → refused;
// issued → the full path; not issued → held for one barrier, then refused if still unknown.
// An event whose record is not complete yet (just watched, connection lost) sends every ticket
// down the full path, where the purchase script decides.
import { type InspectedTicket, isEventId, SluiceError, type TicketVerifier } from '@sluice/shared';
import { type EventView, type IssuedTickets, keyOfTicket } from './issued.ts';
import { bearerToken } from './request.ts';

export interface Door {
  verifier: TicketVerifier;
  issued: IssuedTickets;
  now: () => number;
}

/** A ticket the view has not seen: refused with `refusal` unless the barrier brings its digest. */
export interface Hold {
  view: EventView;
  key: number;
  refusal: SluiceError;
}

const REVOKED = new SluiceError('TICKET_REVOKED');
const NOT_ISSUED = new SluiceError('TICKET_SIGNATURE');
const UNKNOWN_KEY = new SluiceError('TICKET_UNKNOWN_KEY');

/** null: take the full path; a SluiceError: refuse now; a Hold: wait for the barrier. */
export function judge(door: Door, authorization: string): SluiceError | Hold | null {
  let token: string;
  let seen: InspectedTicket;
  try {
    token = bearerToken(authorization);
    seen = door.verifier.inspect(token);
  } catch (err) {
    return err instanceof SluiceError ? err : null;
  }
  const { claims, kid } = seen;
  if (!isEventId(claims.evt)) return null;
  const view = door.issued.view(claims.evt, door.now());
  if (!view) return null;
  if (view.revoked.has(claims.jti) || view.revoked.has(claims.sub)) return REVOKED;
  const key = keyOfTicket(token);
  if (view.issued.has(key)) return null;
  return { view, key, refusal: door.verifier.knowsKey(kid) ? NOT_ISSUED : UNKNOWN_KEY };
}
