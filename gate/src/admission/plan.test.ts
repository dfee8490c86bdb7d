import { describe, expect, it } from 'vitest';
import { bucketSize, planRelease, type ReleaseInput, refill, smoothSpeed } from './plan.ts';

const base: ReleaseInput = {
  state: 'open',
  queueAll: false,
  rate: 20,
  burst: 10,
  tickMs: 250,
  maxActive: 1000,
  overbook: 1,
  active: 0,
  unitsLeft: 1_000_000,
  waiting: 1_000_000,
};

describe('token bucket (the model of admit-11.lua)', () => {
  it('starts full and then refills rate × time', () => {
    expect(refill(null, null, 10_000, 20, 10)).toBe(10);
    expect(refill(0, 9_750, 10_000, 20, 10)).toBe(5);
  });

  it('carries fractions so the long-run count is exact', () => {
    let tokens: number | null = null;
    let at: number | null = null;
    let total = 0;
    const rate = 7.3;
    // 20 s of 250 ms ticks with a fractional rate.
    for (let now = 0; now <= 20_000; now += 250) {
      const level = refill(tokens, at, now, rate, bucketSize(rate, 4, 250));
      const release = Math.floor(level + 1e-9);
      total += release;
      tokens = level - release;
      at = now;
    }
    const expected = rate * 20 + 4;
    expect(Math.abs(total - expected)).toBeLessThanOrEqual(1);
  });

  it('lets a late tick take everything that accrued, up to the bucket size', () => {
    // rate 2000/s, burst 1000, 250 ms ticks; a tick 400 ms after the last: 800 owed.
    expect(refill(0, 0, 400, 2000, bucketSize(2000, 1000, 250))).toBe(800);
    // An hour late: the burst, no more.
    expect(refill(0, 0, 3_600_000, 20, bucketSize(20, 10, 250))).toBe(10);
  });

  it('holds at least one tick of tokens, so a small burst does not lower the rate', () => {
    // 100/s with burst 2 and 250 ms ticks: 25 per tick, not 2.
    expect(bucketSize(100, 2, 250)).toBe(25);
    expect(bucketSize(100, 500, 250)).toBe(500);
  });
});

describe('planRelease', () => {
  it('respects capacity, stock × overbook and queue length', () => {
    expect(planRelease({ ...base, maxActive: 50, active: 48 })).toMatchObject({
      release: 2,
      limitedBy: 'capacity',
    });
    expect(planRelease({ ...base, unitsLeft: 10, overbook: 1.5, active: 12 })).toMatchObject({
      release: 3,
      limitedBy: 'stock',
    });
    expect(planRelease({ ...base, unitsLeft: 0, active: 0 }).release).toBe(0);
    expect(planRelease({ ...base, waiting: 3 })).toMatchObject({ release: 3, limitedBy: 'queue' });
    expect(planRelease({ ...base, maxActive: 10, active: 30 }).release).toBe(0);
    expect(planRelease(base).bucketSize).toBe(10);
  });

  it('releases nobody when paused, queue-all or not open', () => {
    for (const p of [{ state: 'paused' as const }, { queueAll: true }, { state: 'prequeue' as const }]) {
      const r = planRelease({ ...base, ...p });
      expect(r.release).toBe(0);
      expect(r.limitedBy).toBe('halted');
    }
  });
});

describe('smoothSpeed', () => {
  it('converges to a steady rate', () => {
    let s = smoothSpeed(null, 250, 5, 5);
    for (let i = 0; i < 200; i++) s = smoothSpeed(s, 250, 5, 5);
    expect(s.rate).toBeCloseTo(20, 1);
    expect(s.adm).toBeCloseTo(20, 1);
  });
  it('starts from the expected speed when the line starts moving, so early waits are not inflated', () => {
    const start = { rate: 20, adm: 20 };
    const stopped = { rate: 0, adm: 0 };
    const first = smoothSpeed(stopped, 250, 5, 5, start);
    expect(first.rate).toBeCloseTo(20, 5);
    // Without the seed the first estimate is a small fraction of the real speed.
    expect(smoothSpeed(stopped, 250, 5, 5).rate).toBeLessThan(2);
    // A line that really moves slower than configured converges to its own speed.
    let s = first;
    for (let i = 0; i < 200; i++) s = smoothSpeed(s, 250, 1, 1, start);
    expect(s.rate).toBeCloseTo(4, 1);
  });
  it('decays towards zero when the line stops', () => {
    let s = { rate: 20, adm: 20 };
    for (let i = 0; i < 100; i++) s = smoothSpeed(s, 250, 0, 0);
    expect(s.rate).toBeLessThan(0.1);
  });
});
