// Ticket verification: cheap checks first (size, shape, alg, typ, crit, kid, exp, nbf,
// iss/aud/evt), then the Ed25519 signature with node:crypto on a KeyObject cached per key
// (synchronous, about half the CPU of jose's WebCrypto path, which hops to the libuv pool), and
// a cache of verified tickets by jti until they expire, so repeats and junk cost little and
// nothing unverified reaches the stock script. jose stays for the JWKS (keys-source.ts).
import { KeyObject, verify as cryptoVerify } from 'node:crypto';
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

/** A ticket that passed every check but the signature. */
export interface InspectedTicket {
  claims: TicketClaims;
  kid: string;
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const ED25519_SIGNATURE_BYTES = 64;

/** node:crypto KeyObjects made once per imported key (KeyObject.from is not free). */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();
function keyObjectOf(key: CryptoKey): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = KeyObject.from(key);
    keyObjects.set(key, k);
  }
  return k;
}

/** Ed25519 over the JWS signing input; false for a signature of the wrong size or encoding. */
export function verifyEd25519(token: string, key: CryptoKey): boolean {
  const dot = token.lastIndexOf('.');
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  if (sig.length !== ED25519_SIGNATURE_BYTES) return false;
  return cryptoVerify(null, Buffer.from(token.slice(0, dot), 'latin1'), keyObjectOf(key), sig);
}

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
   * Every check but the signature (no I/O, no crypto): size, shape, `alg` allow-list, `typ`,
   * no `crit`, a `kid`, the required claims, exp/nbf with the tolerance, iss, aud, and `evt` when
   * `event` is given. Throws SluiceError with a TICKET_* code.
   */
  inspect(token: string, event?: string): InspectedTicket {
    const nowS = Math.floor(this.opts.now() / 1000);
    const tol = this.opts.clockToleranceS;
    const parts = decodeUnverified(token);
    if (!parts) throw new SluiceError('TICKET_MALFORMED');
    const { header, payload } = parts;
    if (header.alg !== TICKET_ALG) throw new SluiceError('TICKET_ALG');
    // jose refuses `crit` extensions it does not know (b64 included); the gate never sets one.
    if (header.crit !== undefined) throw new SluiceError('TICKET_MALFORMED');
    if (header.typ !== undefined && header.typ !== 'JWT') throw new SluiceError('TICKET_MALFORMED');
    if (!str(header.kid)) throw new SluiceError('TICKET_UNKNOWN_KEY');
    if (!int(payload.exp) || !int(payload.nbf) || !int(payload.iat)) throw new SluiceError('TICKET_CLAIMS');
    if (!str(payload.jti) || !str(payload.sub) || !str(payload.evt)) throw new SluiceError('TICKET_CLAIMS');
    if (payload.cnf !== undefined && !boundTo(payload.cnf)) throw new SluiceError('TICKET_CLAIMS');
    if (payload.exp <= nowS - tol) throw new SluiceError('TICKET_EXPIRED');
    if (payload.nbf > nowS + tol) throw new SluiceError('TICKET_NOT_YET_VALID');
    if (payload.iss !== this.opts.issuer || payload.aud !== this.opts.audience)
      throw new SluiceError('TICKET_CLAIMS');
    if (event !== undefined && payload.evt !== event) throw new SluiceError('TICKET_CLAIMS');
    return { claims: payload as unknown as TicketClaims, kid: header.kid };
  }

  /** Whether `kid` is among the keys held now (no fetch). */
  knowsKey(kid: string): boolean {
    return this.opts.keys.knows(kid);
  }

  /**
   * Verify `token` for `event` (if given). Throws SluiceError with a TICKET_* code.
   * @example const claims = await verifier.verify(bearer, 'demo');
   */
  async verify(token: string, event?: string): Promise<TicketClaims> {
    const { claims, kid } = this.inspect(token, event);
    const hit = this.cache.get(claims.jti);
    // A cached verdict stands only while its key is still published: a withdrawn key's tickets
    // are refused from the next JWKS refresh on, verified before or not.
    if (hit && hit.token === token && this.opts.keys.knows(kid)) return hit.claims;

    const key = await this.opts.keys.get(kid);
    if (!key) throw new SluiceError('TICKET_UNKNOWN_KEY');
    if (!verifyEd25519(token, key)) throw new SluiceError('TICKET_SIGNATURE');
    this.remember(claims, token, Math.floor(this.opts.now() / 1000));
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
