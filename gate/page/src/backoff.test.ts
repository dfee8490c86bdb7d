import { expect, it } from 'vitest';
import { backoffDelay, pollDelay } from './backoff.ts';

it('grows exponentially up to the cap, with the jitter spanning [min, cap]', () => {
  expect(backoffDelay(0, 0)).toBe(250);
  expect(backoffDelay(0, 0.999)).toBeLessThanOrEqual(500);
  expect(backoffDelay(3, 0.999)).toBeGreaterThan(3900);
  expect(backoffDelay(3, 0.999)).toBeLessThanOrEqual(4000);
  expect(backoffDelay(30, 0.999)).toBeLessThanOrEqual(30_000);
  expect(backoffDelay(30, 0.999)).toBeGreaterThan(29_000);
});

it('spreads clients that reconnect at the same attempt', () => {
  const delays = new Set(Array.from({ length: 100 }, (_, i) => backoffDelay(5, i / 100)));
  expect(delays.size).toBeGreaterThan(90);
});

it('jitters polling by ±20 %', () => {
  expect(pollDelay(2000, 0)).toBe(1600);
  expect(pollDelay(2000, 1)).toBe(2400);
});
