import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { leadingZeroBits, solvePow } from './pow.ts';

it('counts leading zero bits', () => {
  expect(leadingZeroBits(Uint8Array.from([0, 0, 0x10, 0xff]))).toBe(19);
  expect(leadingZeroBits(Uint8Array.from([0x80]))).toBe(0);
  expect(leadingZeroBits(Uint8Array.from([0, 0]))).toBe(16);
});

it('finds a nonce the gate’s check accepts (same hash input)', async () => {
  const nonce = await solvePow('evt.123.abc.mac', 10);
  const h = createHash('sha256').update(`evt.123.abc.mac:${nonce}`).digest();
  expect(leadingZeroBits(h)).toBeGreaterThanOrEqual(10);
});
