// Server-side admission check for storefronts, edges and checkout-like origins: one call that
// verifies a ticket against the gate's published JWKS. Verifiers (and their JWKS caches and
// verified-ticket caches) are shared per (jwksUrl, issuer, audience), so calling this on every
// request costs a map lookup once the ticket has been seen.
import { TicketVerifier } from './verify.ts';
import type { TicketClaims } from './claims.ts';
import { RemoteJwks } from './keys-source.ts';

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
}

export const DEFAULT_TICKET_ISSUER = 'sluice-gate';

const verifiers = new Map<string, TicketVerifier>();

function verifierFor(opts: AdmissionOptions): TicketVerifier {
  const issuer = opts.issuer ?? DEFAULT_TICKET_ISSUER;
  const key = JSON.stringify([
    opts.jwksUrl,
    issuer,
    opts.audience,
    opts.clockToleranceS ?? 5,
    opts.now !== undefined,
  ]);
  let v = opts.now === undefined ? verifiers.get(key) : undefined;
  if (!v) {
    v = new TicketVerifier({
      keys: new RemoteJwks(opts.jwksUrl),
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
 * Verify an admission ticket for `event`. Resolves to its claims; rejects with a SluiceError
 * whose code is one of TICKET_* (status 401) when the shopper must go (back) to the queue.
 * @example
 *   const claims = await verifyAdmission(bearer, {
 *     jwksUrl: 'https://gate.example/.well-known/jwks.json', audience: 'sluice-checkout', event: 'drop1' });
 */
export async function verifyAdmission(token: string, opts: AdmissionOptions): Promise<TicketClaims> {
  return verifierFor(opts).verify(token, opts.event);
}
