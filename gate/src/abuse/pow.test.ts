import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueChallenge, leadingZeroBits, solvePow, verifyPow } from './pow.ts';

const secret = randomBytes(32);

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0x10, 0xff]))).toBe(19);
    expect(leadingZeroBits(Uint8Array.from([0x80, 0]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0, 0]))).toBe(16);
  });

  it('accepts a solved challenge and rejects wrong, expired, foreign or forged ones', () => {
    const now = 1_000_000;
    const ch = issueChallenge(secret, 'e', now);
    const nonce = solvePow(ch, 10);
    expect(verifyPow(secret, 'e', 10, { challenge: ch, nonce }, now)).toBe(true);
    // A nonce that does not reach the difficulty.
    let bad = 0;
    while (verifyPow(secret, 'e', 10, { challenge: ch, nonce: `x${bad}` }, now)) bad++;
    expect(verifyPow(secret, 'e', 10, { challenge: ch, nonce: `x${bad}` }, now)).toBe(false);
    expect(verifyPow(secret, 'e', 10, { challenge: ch, nonce }, now + 10 * 60_000)).toBe(false);
    expect(verifyPow(secret, 'f', 10, { challenge: ch, nonce }, now)).toBe(false);
    expect(verifyPow(randomBytes(32), 'e', 10, { challenge: ch, nonce }, now)).toBe(false);
    expect(verifyPow(secret, 'e', 10, undefined, now)).toBe(false);
    expect(verifyPow(secret, 'e', 0, undefined, now)).toBe(true);
  });
});
