// Ticket verification: cheap checks first (size, shape, alg, kid, exp, nbf, iss/aud/evt), then
// the signature with jose, and a cache of verified tickets by jti until they expire, so repeated
// requests and junk cost little and nothing unverified reaches the stock script.
import { errors as joseErrors, jwtVerify } from 'jose';
import { SluiceError } from '../protocol/errors.ts';
import { decodeUnverified, TICKET_ALG, type TicketClaims } from './claims.ts';
import type { KeySource } from './keys-source.ts';

export interface VerifierOptions {
  keys: KeySource;
  issuer: string;
  audience: string;
  clockToleranceS?: number;
  /** Injectable clock (ms); defaults to Date.now. */
  now?: () => number;
  /** Most verified tickets remembered. */
  cacheSize?: number;
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** A `cnf` claim naming a key thumbprint (SHA-256, base64url: 43 characters). */
const boundTo = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && typeof (v as { jkt?: unknown }).jkt === 'string' &&
  /^[A-Za-z0-9_-]{43}$/.test((v as { jkt: string }).jkt);

export class TicketVerifier {
  private readonly opts: Required<VerifierOptions>;
  private readonly cache = new Map<string, { token: string; claims: TicketClaims }>();

  constructor(opts: VerifierOptions) {
    this.opts = { clockToleranceS: 5, now: Date.now, cacheSize: 200_000, ...opts };
  }

  /**
   * Verify `token` for `event` (if given). Throws SluiceError with a TICKET_* code.
   * @example const claims = await verifier.verify(bearer, 'demo');
   */
  async verify(token: string, event?: string): Promise<TicketClaims> {
    const nowMs = this.opts.now();
    const nowS = Math.floor(nowMs / 1000);
    const tol = this.opts.clockToleranceS;
    const parts = decodeUnverified(token);
    if (!parts) throw new SluiceError('TICKET_MALFORMED');
    const { header, payload } = parts;
    if (header.alg !== TICKET_ALG) throw new SluiceError('TICKET_ALG');
    if (!str(header.kid)) throw new SluiceError('TICKET_UNKNOWN_KEY');
    if (!int(payload.exp) || !int(payload.nbf) || !int(payload.iat)) throw new SluiceError('TICKET_CLAIMS');
    if (!str(payload.jti) || !str(payload.sub) || !str(payload.evt)) throw new SluiceError('TICKET_CLAIMS');
    if (payload.cnf !== undefined && !boundTo(payload.cnf)) throw new SluiceError('TICKET_CLAIMS');
    if (payload.exp <= nowS - tol) throw new SluiceError('TICKET_EXPIRED');
    if (payload.nbf > nowS + tol) throw new SluiceError('TICKET_NOT_YET_VALID');
    if (payload.iss !== this.opts.issuer || payload.aud !== this.opts.audience) throw new SluiceError('TICKET_CLAIMS');
    if (event !== undefined && payload.evt !== event) throw new SluiceError('TICKET_CLAIMS');

    const hit = this.cache.get(payload.jti);
    if (hit && hit.token === token) return hit.claims;

    const key = await this.opts.keys.get(header.kid);
    if (!key) throw new SluiceError('TICKET_UNKNOWN_KEY');
    try {
      await jwtVerify(token, key, {
        algorithms: [TICKET_ALG],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        clockTolerance: tol,
        currentDate: new Date(nowMs),
        requiredClaims: ['exp', 'nbf', 'iat', 'jti', 'sub', 'evt'],
      });
    } catch (err) {
      throw mapJoseError(err);
    }
    const claims = payload as unknown as TicketClaims;
    this.remember(claims, token, nowS);
    return claims;
  }

  private remember(claims: TicketClaims, token: string, nowS: number): void {
    if (this.cache.size >= this.opts.cacheSize) {
      // Drop expired entries first; if still full, drop the oldest insertions.
      for (const [jti, e] of this.cache) if (e.claims.exp <= nowS) this.cache.delete(jti);
      const excess = this.cache.size - Math.floor(this.opts.cacheSize * 0.9);
      if (excess > 0) {
        let n = 0;
        for (const jti of this.cache.keys()) {
          if (n++ >= excess) break;
          this.cache.delete(jti);
        }
      }
    }
    this.cache.set(claims.jti, { token, claims });
  }
}

function mapJoseError(err: unknown): SluiceError {
  if (err instanceof joseErrors.JWTExpired) return new SluiceError('TICKET_EXPIRED', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return new SluiceError(err.claim === 'nbf' ? 'TICKET_NOT_YET_VALID' : 'TICKET_CLAIMS', { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new SluiceError('TICKET_ALG', { cause: err });
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new SluiceError('TICKET_SIGNATURE', { cause: err });
  return new SluiceError('TICKET_MALFORMED', { cause: err });
}
