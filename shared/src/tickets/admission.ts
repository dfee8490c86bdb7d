// Server-side admission check for storefronts, edges and checkout-like origins: one call that
// verifies a ticket against the gate's published JWKS. Verifiers (and their JWKS caches and
// verified-ticket caches) are shared per (jwksUrl, issuer, audience), so calling this on every
// request costs a map lookup once the ticket has been seen.
import { TicketVerifier } from './verify.ts';
import type { TicketClaims } from './claims.ts';
import { RemoteJwks } from './keys-source.ts';
import { ProofReplayCache, verifyProof } from './dpop.ts';
import { SluiceError } from '../protocol/errors.ts';
import type { RevocationCheck } from './revocations.ts';

export interface AdmissionOptions {
  /** The gate's JWKS, e.g. https://gate.example/.well-known/jwks.json */
  jwksUrl: string;
  /** Expected `aud` (the gate's TICKET_AUDIENCE). */
  audience: string;
  /** Expected `iss` (the gate's TICKET_ISSUER); defaults to the gate default, `sluice-gate`. */
  issuer?: string;
  /** The event the ticket must be for. */
  event: string;
  /** Allowed clock skew on exp/nbf, seconds (default 5). */
  clockToleranceS?: number;
  /** Injectable clock (ms), for tests. */
  now?: () => number;
  /**
   * Refuse revoked tickets (TICKET_REVOKED), e.g. `new GateRevocations(gateUrl)`: answered from a
   * list polled from the gate, nothing per request (see revocations.ts for the cost). Without it
   * a revoked ticket is refused only at checkout.
   */
  revocations?: RevocationCheck;
  /**
   * Re-read the JWKS this often in the background (ms), so an emergency key withdrawal stops the
   * key's tickets here within it (e.g. 2000). Default: only when a key is unknown or the keys are
   * older than 5 min.
   */
  jwksRefreshMs?: number;
}

export const DEFAULT_TICKET_ISSUER = 'sluice-gate';

const verifiers = new Map<string, TicketVerifier>();
/** Proof ids seen by this process (bound tickets): a replayed proof is refused. */
const proofsSeen = new ProofReplayCache();

/** The request a bound ticket came with: its DPoP proof, and the method and URL it names. */
export interface ProofOfPossession {
  /** The `DPoP` header. */
  dpop: string | undefined;
  method: string;
  /** Absolute URL of the request as the browser called it (`https://shop.example/buy`). */
  url: string;
}

function verifierFor(opts: AdmissionOptions): TicketVerifier {
  const issuer = opts.issuer ?? DEFAULT_TICKET_ISSUER;
  const key = JSON.stringify([
    opts.jwksUrl,
    issuer,
    opts.audience,
    opts.clockToleranceS ?? 5,
    opts.now !== undefined,
    opts.jwksRefreshMs ?? 0,
  ]);
  let v = opts.now === undefined ? verifiers.get(key) : undefined;
  if (!v) {
    v = new TicketVerifier({
      keys: new RemoteJwks(opts.jwksUrl, opts.jwksRefreshMs ? { refreshEveryMs: opts.jwksRefreshMs } : {}),
      issuer,
      audience: opts.audience,
      clockToleranceS: opts.clockToleranceS ?? 5,
      ...(opts.now ? { now: opts.now } : {}),
    });
    // A verifier with an injected clock is a test's own; only the real-clock ones are shared.
    if (opts.now === undefined) verifiers.set(key, v);
  }
  return v;
}

/**
 * The ticket's signature and claims only, without the proof a bound ticket needs per use: for
 * the cookie hand-over (a form POST that cannot carry a proof), which only stores the ticket;
 * every later use goes through verifyAdmission with the request's proof.
 */
export async function verifyTicketForHandOver(token: string, opts: AdmissionOptions): Promise<TicketClaims> {
  const claims = await verifierFor(opts).verify(token, opts.event);
  if (opts.revocations && (await opts.revocations.isRevoked(claims.evt, claims.jti))) throw new SluiceError('TICKET_REVOKED');
  return claims;
}

/**
 * Verify an admission ticket for `event`. Resolves to its claims; rejects with a SluiceError
 * whose code is one of TICKET_* (status 401) when the shopper must go (back) to the queue.
 * @example
 *   const claims = await verifyAdmission(bearer, {
 *     jwksUrl: 'https://gate.example/.well-known/jwks.json', audience: 'sluice-checkout', event: 'drop1' });
 */
export async function verifyAdmission(
  token: string,
  opts: AdmissionOptions,
  proof?: ProofOfPossession,
): Promise<TicketClaims> {
  const claims = await verifierFor(opts).verify(token, opts.event);
  if (opts.revocations && (await opts.revocations.isRevoked(claims.evt, claims.jti))) throw new SluiceError('TICKET_REVOKED');
  const jkt = claims.cnf?.jkt;
  if (jkt) {
    // A ticket bound to the shopper's key (event with bindTickets): the bearer alone is not enough.
    const nowMs = (opts.now ?? Date.now)();
    if (!proof) throw new SluiceError('TICKET_PROOF', { message: 'DPoP proof: missing (this ticket is bound to a key)' });
    const p = verifyProof({ proof: proof.dpop, method: proof.method, url: proof.url, ticket: token, jkt, nowMs });
    if (!proofsSeen.claim(p.jti, p.expiresAtMs, nowMs)) {
      throw new SluiceError('TICKET_PROOF', { message: 'DPoP proof: already used (make a new one per request)' });
    }
  }
  return claims;
}
