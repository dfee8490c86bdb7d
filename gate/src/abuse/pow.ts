// Proof-of-work at join. The gate hands out a challenge `evt.expiresMs.difficulty.id.mac` (HMAC
// with the place secret, so any gate process can check it without Redis). The MAC also covers the
// client address (IPv4, or IPv6 /64) and the client id the challenge was asked for, so a solution
// is good only for that address and `cid`; the join Lua spends its id, so it is good for one
// join only. The client finds a nonce such that SHA-256(challenge + ":" + nonce) starts with
// `difficulty` zero bits. Verification does the same work whatever the input (no early exit on
// the first bad byte).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a challenge stays valid. */
export const CHALLENGE_TTL_MS = 120_000;

/** What a challenge is bound to: the client address key and the client id ('' when none). */
export interface PowBinding {
  address: string;
  cid: string;
}

function mac(secret: Buffer, body: string, b: PowBinding): Buffer {
  return createHmac('sha256', secret).update(`pow:${body}|${b.address}|${b.cid}`).digest().subarray(0, 16);
}

export function issueChallenge(
  secret: Buffer,
  evt: string,
  now: number,
  difficulty: number,
  b: PowBinding,
): string {
  const body = `${evt}.${now + CHALLENGE_TTL_MS}.${difficulty}.${randomBytes(12).toString('base64url')}`;
  return `${body}.${mac(secret, body, b).toString('base64url')}`;
}

/** Leading zero bits of `buf`, counted over all bytes without branching on the content. */
export function leadingZeroBits(buf: Uint8Array): number {
  let zeros = 0;
  let stillZero = 1;
  for (const byte of buf) {
    const lz = byte === 0 ? 8 : Math.clz32(byte) - 24;
    zeros += stillZero * lz;
    stillZero &= byte === 0 ? 1 : 0;
  }
  return zeros;
}

export function powHash(challenge: string, nonce: string): Buffer {
  return createHash('sha256').update(`${challenge}:${nonce}`).digest();
}

/** A checked solution: the challenge id to spend (single use) and when it expires. */
export interface SolvedPow {
  id: string;
  exp: number;
}

/**
 * Check a solution for `evt`, bound to `b`, worth at least `minDifficulty` bits. Returns the
 * challenge to spend, `{id: '', exp: 0}` when no proof is required (`minDifficulty` 0 and none
 * given), or null when wrong, expired, foreign, forged or too easy.
 */
export function verifyPow(
  secret: Buffer,
  evt: string,
  minDifficulty: number,
  pow: unknown,
  now: number,
  b: PowBinding,
): SolvedPow | null {
  if (minDifficulty <= 0 && pow === undefined) return { id: '', exp: 0 };
  if (typeof pow !== 'object' || pow === null) return null;
  const { challenge, nonce } = pow as Record<string, unknown>;
  if (
    typeof challenge !== 'string' ||
    typeof nonce !== 'string' ||
    challenge.length > 200 ||
    nonce.length > 64
  ) {
    return null;
  }
  const parts = challenge.split('.');
  if (parts.length !== 5) return null;
  const [e, exp, diff, id, sig] = parts as [string, string, string, string, string];
  const given = Buffer.from(sig, 'base64url');
  const want = mac(secret, `${e}.${exp}.${diff}.${id}`, b);
  const macOk = given.length === want.length && timingSafeEqual(given, want);
  const d = Number(diff);
  const fresh = e === evt && Number(exp) > now;
  const hardEnough = Number.isInteger(d) && d >= minDifficulty && d <= 32;
  const workOk = leadingZeroBits(powHash(challenge, nonce)) >= d;
  return macOk && fresh && hardEnough && workOk ? { id, exp: Number(exp) } : null;
}

/** Brute-force a nonce (clients, tests, the load-test swarm). */
export function solvePow(challenge: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    if (leadingZeroBits(powHash(challenge, nonce)) >= difficulty) return nonce;
  }
}
