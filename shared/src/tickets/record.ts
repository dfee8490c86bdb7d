// The record of issued tickets that lets checkout skip the signature: the gate stores the
// SHA-256 of every ticket it hands out beside its jti (in the event's hash tag), before the
// shopper can see it, and the purchase script compares the presented ticket's digest in the
// same atomic call. Whoever can write this record can already write stock and reservations, so
// checkout loses no protection; junk costs one hash and one lookup instead of an Ed25519
// verify. Storefronts and edges, which do not share the gate's Redis, still verify signatures.
import { createHash } from 'node:crypto';
import type { Redis } from '../redis.ts';
import { eventKeys, isEventId } from '../keys.ts';
import type { TicketClaims } from './claims.ts';
import type { SigningKey } from './keyring.ts';
import { signTicket } from './sign.ts';

/** SHA-256 of the compact ticket, base64url (43 characters). */
export function ticketDigest(ticket: string): string {
  return createHash('sha256').update(ticket, 'latin1').digest('base64url');
}

/** Most digests in one `issued` message (44 bytes each with the comma). */
export const ISSUED_MESSAGE_MAX = 1000;

/**
 * Record tickets the gate issued (the latest per jti wins: a re-sent ticket with the same claims
 * and key is byte-identical, Ed25519 being deterministic), and announce their digests on the
 * event's `issued` channel in the same pipeline, after the record: checkout processes keep the
 * issued digests in memory to refuse junk without Redis (checkout/src/purchase/issued.ts). Both
 * resolve before the tickets are handed out, so a shopper can only present a ticket whose digest
 * was published before its request reached checkout. Callers chunk (at most a few thousand).
 * @example await recordTickets(redis, 'sluice', 'drop1', [{ jti: placeId, ticket }]);
 */
export async function recordTickets(
  redis: Redis,
  prefix: string,
  evt: string,
  tickets: readonly { jti: string; ticket: string }[],
): Promise<void> {
  if (tickets.length === 0) return;
  const k = eventKeys(prefix, evt);
  const fields: Record<string, string> = {};
  const digests: string[] = [];
  for (const t of tickets) {
    const d = ticketDigest(t.ticket);
    fields[t.jti] = d;
    digests.push(d);
  }
  const pipe = redis.pipeline().hset(k.ticketHash, fields);
  for (let i = 0; i < digests.length; i += ISSUED_MESSAGE_MAX) {
    pipe.spublish(k.issuedChannel, digests.slice(i, i + ISSUED_MESSAGE_MAX).join(','));
  }
  const replies = (await pipe.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
}

/**
 * Sign a ticket and record it (what the gate does for every ticket it hands out). A ticket for
 * something that is not an event id is signed but cannot be recorded (no such event's keys).
 */
export async function issueTicket(
  redis: Redis,
  prefix: string,
  key: SigningKey,
  claims: TicketClaims,
): Promise<string> {
  const ticket = await signTicket(key, claims);
  if (isEventId(claims.evt)) await recordTickets(redis, prefix, claims.evt, [{ jti: claims.jti, ticket }]);
  return ticket;
}
