// POST /v1/checkout as one story: parse the request, verify the ticket, reserve the units and
// append the order to the event's order stream in one atomic script call, answer 202. A process
// that dies after the call leaves a reservation whose order entry is already in the stream.
import { randomUUID } from 'node:crypto';
import {
  isEventId,
  type Redis,
  SluiceError,
  type TicketClaims,
  type TicketVerifier,
  ticketDigest,
} from '@sluice/shared';
import { guarded } from '../connections.ts';
import { announceState } from '../events/announce.ts';
import { requireProof } from './proof.ts';
import { bearerToken, parseCheckoutBody, parseIdempotencyKey } from './request.ts';
import { reserve } from './reserve.ts';

export interface PlaceOrderDeps {
  redis: Redis;
  verifier: TicketVerifier;
  prefix: string;
  reservationTtlS: number;
  redisTimeoutMs: number;
  now: () => number;
  /**
   * Waits until the reservation and its order entry are on a replica (WAIT on the connection that
   * ran the purchase script), so a failover does not lose an acknowledged purchase; absent on a
   * Redis without replicas.
   */
  durable?: (evt: string) => Promise<void>;
  /** Called when publishing a state change failed (the gates' 1 s re-read catches up). */
  onAnnounceError: (err: unknown) => void;
}

export interface PlaceOrderInput {
  body: Buffer;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  /** `DPoP` header: proof of possession, required for tickets bound to a key. */
  dpop?: string | undefined;
  /** The URL the client called, as it names it in a proof (`htu`). */
  url?: string;
  /** The ticket as the door already inspected it (claims, kid, SHA-256), so it is not done twice. */
  inspected?: Inspected;
}

/** A ticket that passed every check but the signature, with its SHA-256 (base64url). */
export interface Inspected {
  claims: TicketClaims;
  kid: string;
  digest: string;
}

export interface OrderAccepted {
  orderId: string;
  status: 'pending';
  statusUrl: string;
  /** True when this answer repeats the first one (same ticket: same Idempotency-Key, or a retry while the order is open). */
  replay: boolean;
}

/**
 * The ticket's claims after every check but the signature, and its digest: the purchase script
 * compares the digest with the gate's record of the tickets it issued, in the same atomic call
 * (shared/src/tickets/record.ts), so a first-use checkout costs a SHA-256 instead of an Ed25519
 * verify and a forged ticket is refused there. A kid this process does not hold takes the full
 * path (JWKS refresh, signature): a new key is learnt, an unknown one refused before any crypto.
 */
async function admissionOf(
  verifier: TicketVerifier,
  token: string,
  inspected: Inspected | undefined,
): Promise<{ claims: TicketClaims; ticketDigest: string }> {
  const { claims, kid } = inspected ?? verifier.inspect(token);
  if (!verifier.knowsKey(kid)) await verifier.verify(token);
  if (!isEventId(claims.evt)) throw new SluiceError('TICKET_CLAIMS');
  return { claims, ticketDigest: inspected ? inspected.digest : ticketDigest(token) };
}

export const orderStatusPath = (orderId: string): string => `/v1/orders/${orderId}`;

export async function placeOrder(deps: PlaceOrderDeps, input: PlaceOrderInput): Promise<OrderAccepted> {
  const { sku, qty } = parseCheckoutBody(input.body);
  const idempotencyKey = parseIdempotencyKey(input.idempotencyKey);
  const ticket = bearerToken(input.authorization);
  const { claims, ticketDigest } = await admissionOf(deps.verifier, ticket, input.inspected);

  const now = deps.now();
  if (claims.cnf) {
    await guarded(
      requireProof(
        deps.redis,
        deps.prefix,
        claims,
        { dpop: input.dpop, method: 'POST', url: input.url ?? '', ticket },
        now,
      ),
      deps.redisTimeoutMs,
      'proof',
    );
  }
  const reserved = await guarded(
    reserve(deps.redis, deps.prefix, {
      evt: claims.evt,
      jti: claims.jti,
      sub: claims.sub,
      ticketDigest,
      sku,
      qty,
      orderId: randomUUID(),
      idempotencyKey,
      now,
      expiresAt: now + deps.reservationTtlS * 1000,
    }),
    deps.redisTimeoutMs,
    'purchase',
  );

  if (reserved.soldOutVersion > 0) {
    announceState(deps.redis, deps.prefix, claims.evt, reserved.soldOutVersion, now).catch(
      deps.onAnnounceError,
    );
  }
  // The script wrote the reservation and the order's entry (or, for a replay, rewrote the ticket's
  // order id) on the event's shard: one WAIT covers them (replication is one ordered stream per master).
  if (deps.durable) await guarded(deps.durable(claims.evt), deps.redisTimeoutMs * 2, 'replication');
  return {
    orderId: reserved.orderId,
    status: 'pending',
    statusUrl: orderStatusPath(reserved.orderId),
    replay: reserved.replay,
  };
}
