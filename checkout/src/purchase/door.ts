// The door: what checkout can tell about a ticket from its Authorization header alone, with no
// Redis call and no body. Every check but the signature (shape, alg, typ, kid, exp/nbf,
// iss/aud), then the event's in-process record of issued tickets (issued.ts): revoked → refused;
// issued → the full path; not issued → held for one barrier, then refused if still unknown.
// An event whose record is not complete yet (just watched, connection lost) sends every ticket
// down the full path, where the purchase script decides.
import { hash } from 'node:crypto';
import { isEventId, SluiceError, type TicketVerifier } from '@sluice/shared';
import { type EventView, type IssuedTickets, keyOfDigest } from './issued.ts';
import type { Inspected } from './place-order.ts';
import { bearerToken } from './request.ts';

export interface Door {
  verifier: TicketVerifier;
  issued: IssuedTickets;
  now: () => number;
}

/**
 * A ticket the door cannot place yet: `wait` for the barrier (a digest the view has not seen) or
 * a fresh read of the events (an event id not known); then refused with `refusal` if `refuse()`.
 * A class, not closures: a junk flood makes one per request.
 */
export class Hold {
  readonly hold = true;
  readonly inspected: Inspected;
  readonly refusal: SluiceError;
  private readonly door: Door;
  /** The event's view (a barrier); null: an event id not known (a read of the events). */
  private readonly seenIn: EventView | null;
  private readonly key: number;

  constructor(door: Door, inspected: Inspected, refusal: SluiceError, seenIn: EventView | null, key: number) {
    this.door = door;
    this.inspected = inspected;
    this.refusal = refusal;
    this.seenIn = seenIn;
    this.key = key;
  }

  wait(done: (ok: boolean) => void): void {
    if (this.seenIn) this.door.issued.barrier(done, this.inspected.claims.evt);
    else this.door.issued.refreshEvents(done);
  }

  refuse(): boolean {
    if (this.seenIn) return !this.seenIn.issued.has(this.key);
    const { issued } = this.door;
    const evt = this.inspected.claims.evt;
    const known = issued.isEvent(evt);
    if (known) issued.view(evt, this.door.now()); // a real event: its view starts (the ticket takes the full path now)
    return known === false;
  }
}

const REVOKED = new SluiceError('TICKET_REVOKED');
const NOT_ISSUED = new SluiceError('TICKET_SIGNATURE');
const UNKNOWN_KEY = new SluiceError('TICKET_UNKNOWN_KEY');
// The documented answer for a ticket naming an event that does not exist (the full path gave it
// after the verify; the door gives it from the event list, which is public anyway).
const NO_EVENT = new SluiceError('UNKNOWN_EVENT');

/**
 * A SluiceError: refuse now. A Hold: wait for the barrier. Inspected: the full path, with the
 * inspection done here. null: the full path from scratch (the door cannot tell).
 */
export function judge(door: Door, authorization: string): SluiceError | Hold | Inspected | null {
  let token: string;
  let seen: Inspected;
  try {
    token = bearerToken(authorization);
    const { claims, kid } = door.verifier.inspect(token);
    // One-shot hash (no Hash object), straight to the base64url the record holds: a Buffer
    // output cost 3x the hash itself. It hashes the UTF-8 form, equal to the latin1 form the gate
    // records for the ASCII of every issued ticket; anything else was never issued and is refused.
    seen = { claims, kid, digest: hash('sha256', token, 'base64url') };
  } catch (err) {
    return err instanceof SluiceError ? err : null;
  }
  const { claims, kid } = seen;
  if (!isEventId(claims.evt)) return null;
  const { issued } = door;
  const refusal = door.verifier.knowsKey(kid) ? NOT_ISSUED : UNKNOWN_KEY;
  const evt = claims.evt;
  // An event id not among the events read last (a made-up one, or an event created since): held
  // for one fresh read of the events, refused if still unknown. No ticket was issued for it.
  if (issued.isEvent(evt) !== true) {
    return new Hold(door, seen, refusal === UNKNOWN_KEY ? UNKNOWN_KEY : NO_EVENT, null, 0);
  }
  const view = issued.view(evt, door.now());
  if (!view) return seen;
  if (view.revoked.has(claims.jti) || view.revoked.has(claims.sub)) return REVOKED;
  const key = keyOfDigest(seen.digest);
  if (view.issued.has(key)) return seen;
  return new Hold(door, seen, refusal, view, key);
}
