// Access credentials of a lane, checked by the gate before the join script spends them:
// single-use access codes (uploaded by an operator, stored only as HMAC-SHA-256 under a per-event
// salt) and invite tokens a shop's CRM signs with Ed25519 (compact JWS, verified offline with
// node:crypto against the lane's configured public keys; single use by `jti`). Pure apart from
// the crypto; every input is size-checked before any hashing or verifying.
import { createHash, createHmac, createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { InviteKey, LaneConfig } from './model.ts';

/** An access code as a shopper types it: 6-64 of A-Za-z0-9_- (case-sensitive). */
export const ACCESS_CODE_PATTERN = /^[A-Za-z0-9_-]{6,64}$/;
/** Longest invite token accepted (a compact JWS with a few claims is ~300 bytes). */
export const MAX_INVITE_LENGTH = 1024;
/** Field of the per-event salt in the `codes` hash. */
export const CODE_SALT_FIELD = '~salt';

/** The `codes` hash field of an access code. @example codeField(salt, 'VIP-2026-AB12') // 'c:3f…' */
export function codeField(salt: string, code: string): string {
  return `c:${createHmac('sha256', salt).update(code).digest('hex')}`;
}

/** The `codes` hash field recording a spent invite token (its jti, hashed: bounded size). */
export function inviteField(jti: string): string {
  return `j:${createHash('sha256').update(jti).digest('hex')}`;
}

export interface InviteClaims {
  evt: string;
  lane: string;
  exp: number;
  jti: string;
}

const keyCache = new Map<string, KeyObject>();

function publicKey(k: InviteKey): KeyObject {
  let key = keyCache.get(k.x);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' });
    if (keyCache.size > 1000) keyCache.clear(); // bounded: keys come from event configs only
    keyCache.set(k.x, key);
  }
  return key;
}

function json(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null; // not JSON: refused like any other bad token
  }
}

/**
 * Verify an invite token for `evt` and `lane` at `nowS` (seconds). Returns its claims, or the
 * reason it is refused (kept for logs and tests; shoppers only ever see "refused").
 * @example verifyInvite(token, 'drop1', lanes[0], Date.now() / 1000)
 */
export function verifyInvite(
  token: unknown,
  evt: string,
  lane: LaneConfig,
  nowS: number,
): { ok: true; claims: InviteClaims } | { ok: false; reason: string } {
  if (typeof token !== 'string' || token.length > MAX_INVITE_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  const header = json(h);
  if (header?.alg !== 'EdDSA') return { ok: false, reason: 'algorithm' };
  const keys = typeof header.kid === 'string' ? lane.inviteKeys.filter((k) => k.kid === header.kid) : lane.inviteKeys;
  if (keys.length === 0) return { ok: false, reason: 'unknown key' };
  const sig = Buffer.from(s, 'base64url');
  if (sig.length !== 64) return { ok: false, reason: 'signature' };
  const data = Buffer.from(`${h}.${p}`);
  if (!keys.some((k) => verify(null, data, publicKey(k), sig))) return { ok: false, reason: 'signature' };
  const c = json(p);
  if (!c) return { ok: false, reason: 'claims' };
  if (c.evt !== evt || c.lane !== lane.id) return { ok: false, reason: 'not for this event or lane' };
  if (typeof c.exp !== 'number' || !Number.isFinite(c.exp) || c.exp <= nowS) return { ok: false, reason: 'expired' };
  if (typeof c.nbf === 'number' && c.nbf > nowS + 60) return { ok: false, reason: 'not yet valid' };
  if (typeof c.jti !== 'string' || c.jti.length < 8 || c.jti.length > 128) return { ok: false, reason: 'jti' };
  return { ok: true, claims: { evt, lane: lane.id, exp: c.exp, jti: c.jti } };
}
