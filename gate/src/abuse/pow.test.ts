import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueChallenge, leadingZeroBits, solvePow, verifyPow } from './pow.ts';

const secret = randomBytes(32);
const me = { address: '192.0.2.1', cid: 'cid-aaaaaaaa' };

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0x10, 0xff]))).toBe(19);
    expect(leadingZeroBits(Uint8Array.from([0x80, 0]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0, 0]))).toBe(16);
  });

  it('accepts a solved challenge and rejects wrong, expired, foreign or forged ones', () => {
    const now = 1_000_000;
    const ch = issueChallenge(secret, 'e', now, 10, me);
    const nonce = solvePow(ch, 10);
    expect(verifyPow(secret, 'e', 10, { challenge: ch, nonce }, now, me)?.id).toBe(ch.split('.')[3]);
    // A nonce that does not reach the difficulty.
    let bad = 0;
    while (verifyPow(secret, 'e', 10, { challenge: ch, nonce: `x${bad}` }, now, me)) bad++;
    expect(verifyPow(secret, 'e', 10, { challenge: ch, nonce: `x${bad}` }, now, me)).toBeNull();
    expect(verifyPow(secret, 'e', 10, { challenge: ch, nonce }, now + 10 * 60_000, me)).toBeNull();
    expect(verifyPow(secret, 'f', 10, { challenge: ch, nonce }, now, me)).toBeNull();
    expect(verifyPow(randomBytes(32), 'e', 10, { challenge: ch, nonce }, now, me)).toBeNull();
    expect(verifyPow(secret, 'e', 10, undefined, now, me)).toBeNull();
    expect(verifyPow(secret, 'e', 0, undefined, now, me)).toEqual({ id: '', exp: 0 });
  });

  it('binds a solution to the address and client id it was issued for', () => {
    const now = 1_000_000;
    const ch = issueChallenge(secret, 'e', now, 8, me);
    const nonce = solvePow(ch, 8);
    expect(verifyPow(secret, 'e', 8, { challenge: ch, nonce }, now, me)).not.toBeNull();
    expect(
      verifyPow(secret, 'e', 8, { challenge: ch, nonce }, now, { ...me, address: '192.0.2.2' }),
    ).toBeNull();
    expect(
      verifyPow(secret, 'e', 8, { challenge: ch, nonce }, now, { ...me, cid: 'cid-bbbbbbbb' }),
    ).toBeNull();
  });

  it('refuses a challenge easier than the event asks, or with its difficulty edited', () => {
    const now = 1_000_000;
    const easy = issueChallenge(secret, 'e', now, 2, me);
    expect(verifyPow(secret, 'e', 8, { challenge: easy, nonce: solvePow(easy, 2) }, now, me)).toBeNull();
    const parts = easy.split('.');
    parts[2] = '0';
    const edited = parts.join('.');
    expect(verifyPow(secret, 'e', 0, { challenge: edited, nonce: solvePow(edited, 0) }, now, me)).toBeNull();
  });
});
