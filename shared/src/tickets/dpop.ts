// Sender-constrained tickets (RFC 9449 shape). A ticket of an event with `bindTickets` carries
// `cnf.jkt`, the RFC 7638 thumbprint of a key the shopper's browser made (non-extractable); each
// use comes with a proof: a JWT of typ `dpop+jwt` with the public key in its header, signed by
// it, naming the method (`htm`), URL (`htu`), time (`iat`), a unique id (`jti`) and the ticket's
// hash (`ath`). A ticket copied elsewhere has no key to sign with. Pure apart from node:crypto;
// single use of `jti` is the caller's (checkout: Redis SET NX, storefronts: ProofReplayCache).
import { createHash, createPublicKey, type KeyObject, verify as cryptoVerify } from 'node:crypto';
import { SluiceError } from '../protocol/errors.ts';

/** The proof's header name (RFC 9449 §4.1). */
export const DPOP_HEADER = 'dpop';
export const DPOP_TYP = 'dpop+jwt';
/** Algorithms a browser can make non-extractable keys for; ES256 everywhere, EdDSA where supported. */
export const DPOP_ALGS = ['ES256', 'EdDSA'] as const;
/** Proofs older than this (or further ahead than the skew) are refused, seconds. */
export const DPOP_MAX_AGE_S = 60;
export const DPOP_SKEW_S = 5;
/** Longest proof read before any parsing, bytes (a P-256 proof is ~600). */
export const MAX_PROOF_LENGTH = 2048;
/** A proof's `jti`: what a replay cache may store as part of a key name. */
export const PROOF_JTI_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface PublicJwk {
  kty: 'EC' | 'OKP';
  crv: 'P-256' | 'Ed25519';
  x: string;
  y?: string;
}

const B64 = /^[A-Za-z0-9_-]+$/;

/**
 * The public key fields of a browser's JWK, or null when it is not a P-256 or Ed25519 public key
 * (private parts, other curves and extra junk are refused, not stripped).
 */
export function parsePublicJwk(v: unknown): PublicJwk | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const j = v as Record<string, unknown>;
  if ('d' in j) return null;
  if (j.kty === 'EC' && j.crv === 'P-256') {
    if (typeof j.x !== 'string' || typeof j.y !== 'string') return null;
    if (j.x.length !== 43 || j.y.length !== 43 || !B64.test(j.x) || !B64.test(j.y)) return null;
    return { kty: 'EC', crv: 'P-256', x: j.x, y: j.y };
  }
  if (j.kty === 'OKP' && j.crv === 'Ed25519') {
    if (typeof j.x !== 'string' || j.x.length !== 43 || !B64.test(j.x)) return null;
    return { kty: 'OKP', crv: 'Ed25519', x: j.x };
  }
  return null;
}

/** RFC 7638 thumbprint (SHA-256, base64url): the required members in lexicographic order. */
export function jwkThumbprint(jwk: PublicJwk): string {
  const canonical =
    jwk.kty === 'EC'
      ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
      : `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/** `ath`: base64url SHA-256 of the ticket as sent (RFC 9449 §4.2). */
export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}

/** `htu` as compared: scheme, host and path, without query and fragment (RFC 9449 §4.3). */
export function normalizeHtu(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return null;
  }
}

export interface ProofCheck {
  /** The proof as sent in the `DPoP` header. */
  proof: string | undefined;
  /** Request method, e.g. `POST`. */
  method: string;
  /** The URL the request was sent to (query and fragment are ignored). */
  url: string;
  /** The ticket the proof must be bound to. */
  ticket: string;
  /** The ticket's `cnf.jkt`. */
  jkt: string;
  nowMs: number;
  maxAgeS?: number;
}

export interface VerifiedProof {
  jti: string;
  /** When the proof stops being acceptable (ms): how long its jti must be remembered. */
  expiresAtMs: number;
}

const refuse = (message: string): SluiceError =>
  new SluiceError('TICKET_PROOF', { message: `DPoP proof: ${message}` });

/** Parsed public keys by thumbprint, so a shopper's repeated proofs skip the key import. */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 10_000;

function keyFor(jwk: PublicJwk, jkt: string): KeyObject {
  let k = keyCache.get(jkt);
  if (!k) {
    k = createPublicKey({ key: { ...jwk }, format: 'jwk' });
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(jkt, k);
  }
  return k;
}

/**
 * Check a proof of possession for a bound ticket. Throws SluiceError TICKET_PROOF (401) naming
 * what is wrong; the caller must then record `jti` as used until `expiresAtMs` (single use).
 * @example const p = verifyProof({ proof: req.headers.dpop, method: 'POST', url, ticket, jkt: claims.cnf.jkt, nowMs: Date.now() });
 */
export function verifyProof(c: ProofCheck): VerifiedProof {
  const { proof } = c;
  if (!proof) throw refuse('missing (this ticket is bound to a key; send a DPoP header)');
  if (proof.length > MAX_PROOF_LENGTH) throw refuse('too long');
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every((p) => p.length > 0 && B64.test(p)))
    throw refuse('not a compact JWS');
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch (err) {
    throw new SluiceError('TICKET_PROOF', { message: 'DPoP proof: not JSON', cause: err });
  }
  if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) {
    throw refuse('not a JWT');
  }
  if (header.typ !== DPOP_TYP) throw refuse(`typ must be ${DPOP_TYP}`);
  const alg = header.alg;
  if (alg !== 'ES256' && alg !== 'EdDSA') throw refuse('alg must be ES256 or EdDSA');
  const jwk = parsePublicJwk(header.jwk);
  if (!jwk || (alg === 'ES256') !== (jwk.kty === 'EC')) throw refuse('jwk must be the public key for alg');
  const jkt = jwkThumbprint(jwk);
  if (jkt !== c.jkt) throw refuse('signed by another key than the ticket is bound to');

  const maxAge = c.maxAgeS ?? DPOP_MAX_AGE_S;
  const nowS = c.nowMs / 1000;
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw refuse('iat missing');
  if (payload.iat < nowS - maxAge || payload.iat > nowS + DPOP_SKEW_S)
    throw refuse('iat outside the accepted window');
  if (typeof payload.jti !== 'string' || !PROOF_JTI_PATTERN.test(payload.jti))
    throw refuse('jti must be 16-64 url-safe characters');
  if (typeof payload.htm !== 'string' || payload.htm.toUpperCase() !== c.method.toUpperCase())
    throw refuse('htm does not match the method');
  const htu = typeof payload.htu === 'string' ? normalizeHtu(payload.htu) : null;
  if (!htu || htu !== normalizeHtu(c.url)) throw refuse('htu does not match the URL');
  if (payload.ath !== ticketHash(c.ticket)) throw refuse('ath does not match the ticket');

  const ok = cryptoVerify(
    alg === 'ES256' ? 'sha256' : null,
    Buffer.from(`${parts[0]}.${parts[1]}`),
    alg === 'ES256' ? { key: keyFor(jwk, jkt), dsaEncoding: 'ieee-p1363' } : keyFor(jwk, jkt),
    Buffer.from(parts[2]!, 'base64url'),
  );
  if (!ok) throw refuse('bad signature');
  return { jti: payload.jti, expiresAtMs: Math.ceil((payload.iat + maxAge + DPOP_SKEW_S) * 1000) };
}

/**
 * In-memory single use of proof ids, for storefront processes without Redis: bounded (oldest
 * dropped first when full) and each id kept only while its proof could still be accepted. With
 * several storefront processes, a proof could be replayed once per process within its minute;
 * use a shared store (Redis SET NX PX) where that matters, as checkout does.
 */
export class ProofReplayCache {
  private readonly seen = new Map<string, number>();
  private readonly max: number;
  constructor(max = 100_000) {
    this.max = max;
  }
  /** True the first time `jti` is seen (and remembers it until `expiresAtMs`). */
  claim(jti: string, expiresAtMs: number, nowMs: number): boolean {
    const until = this.seen.get(jti);
    if (until !== undefined && until > nowMs) return false;
    if (this.seen.size >= this.max) {
      for (const [k, t] of this.seen) if (t <= nowMs) this.seen.delete(k);
      if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
    }
    this.seen.set(jti, expiresAtMs);
    return true;
  }
}
