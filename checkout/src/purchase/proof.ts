// The one place checkout checks a bound ticket's proof of possession (DPoP, RFC 9449 shape):
// signature and claims in shared/src/tickets/dpop.ts (node:crypto, ~0.14 ms of CPU measured at
// load 25), then single use of the proof id with one SET NX PX in the event's slot. Unbound
// tickets skip all of it.
import { proofJtiKey, type Redis, SluiceError, type TicketClaims, verifyProof } from '@sluice/shared';

export interface ProofInput {
  /** `DPoP` header as received. */
  dpop: string | undefined;
  method: string;
  /** The URL the client called (public base URL + path). */
  url: string;
  ticket: string;
}

/** Throws TICKET_PROOF unless `claims` is unbound or the proof is valid and unused. */
export async function requireProof(
  redis: Redis,
  prefix: string,
  claims: TicketClaims,
  input: ProofInput,
  nowMs: number,
): Promise<void> {
  const jkt = claims.cnf?.jkt;
  if (!jkt) return;
  const p = verifyProof({
    proof: input.dpop,
    method: input.method,
    url: input.url,
    ticket: input.ticket,
    jkt,
    nowMs,
  });
  const first = await redis.set(
    proofJtiKey(prefix, claims.evt, p.jti),
    '1',
    'PX',
    Math.max(1000, p.expiresAtMs - nowMs),
    'NX',
  );
  if (first !== 'OK')
    throw new SluiceError('TICKET_PROOF', {
      message: 'DPoP proof: already used (make a new one per request)',
    });
}
