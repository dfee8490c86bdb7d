// Optional proof-of-work at join. The gate hands out a challenge `evt.expiresMs.rand.mac`
// (HMAC with the place secret, so any gate process can check it without Redis); the client
// finds a nonce such that SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits.
// Verification does the same work whatever the input (no early exit on the first bad byte).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a challenge stays valid. */
export const CHALLENGE_TTL_MS = 120_000;

function mac(secret: Buffer, body: string): Buffer {
  return createHmac('sha256', secret).update(`pow:${body}`).digest().subarray(0, 16);
}

export function issueChallenge(secret: Buffer, evt: string, now: number): string {
  const body = `${evt}.${now + CHALLENGE_TTL_MS}.${randomBytes(9).toString('base64url')}`;
  return `${body}.${mac(secret, body).toString('base64url')}`;
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

export function verifyPow(
  secret: Buffer,
  evt: string,
  difficulty: number,
  pow: unknown,
  now: number,
): boolean {
  if (difficulty <= 0) return true;
  if (typeof pow !== 'object' || pow === null) return false;
  const { challenge, nonce } = pow as Record<string, unknown>;
  if (
    typeof challenge !== 'string' ||
    typeof nonce !== 'string' ||
    challenge.length > 200 ||
    nonce.length > 64
  ) {
    return false;
  }
  const parts = challenge.split('.');
  if (parts.length !== 4) return false;
  const [e, exp, rand, sig] = parts as [string, string, string, string];
  const given = Buffer.from(sig, 'base64url');
  const want = mac(secret, `${e}.${exp}.${rand}`);
  const macOk = given.length === want.length && timingSafeEqual(given, want);
  const fresh = e === evt && Number(exp) > now;
  const workOk = leadingZeroBits(powHash(challenge, nonce)) >= difficulty;
  return macOk && fresh && workOk;
}

/** Brute-force a nonce (clients, tests, the load-test swarm). */
export function solvePow(challenge: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    if (leadingZeroBits(powHash(challenge, nonce)) >= difficulty) return nonce;
  }
}
