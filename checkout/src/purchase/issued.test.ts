// The door's key of a presented ticket (from its SHA-256 bytes) must equal the key of the digest
// the gate records and publishes (base64url text), or issued tickets would be refused.
import { createHash, randomBytes } from 'node:crypto';
import { ticketDigest } from '@sluice/shared';
import { describe, expect, it } from 'vitest';
import { keyOfDigest, keyOfSha256 } from './issued.ts';

describe('issued-ticket keys', () => {
  it('gives the same 30-bit key from the recorded digest and from the hash of the ticket', () => {
    for (let i = 0; i < 2000; i++) {
      const ticket = randomBytes(300).toString('base64url');
      const fromBytes = keyOfSha256(createHash('sha256').update(ticket, 'latin1').digest());
      expect(keyOfDigest(ticketDigest(ticket))).toBe(fromBytes);
      expect(fromBytes).toBeGreaterThanOrEqual(0);
      expect(fromBytes).toBeLessThan(2 ** 30);
    }
  });

  it('answers -1 for text that is not a digest', () => {
    expect(keyOfDigest('')).toBe(-1);
    expect(keyOfDigest('ab+/=')).toBe(-1);
    expect(keyOfDigest('abcdé')).toBe(-1);
  });
});
