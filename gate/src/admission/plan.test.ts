import { describe, expect, it } from 'vitest';
import { planRelease, type ReleaseInput, refill, smoothSpeed } from './plan.ts';

const base: ReleaseInput = {
  now: 10_000,
  state: 'open',
  queueAll: false,
  rate: 20,
  burst: 10,
  tickMs: 250,
  maxActive: 1000,
  overbook: 1,
  tokens: 0,
  at: 10_000 - 250,
  active: 0,
  unitsLeft: 1_000_000,
  waiting: 1_000_000,
};

describe('planRelease', () => {
  it('starts with a full bucket and then releases rate × time', () => {
    expect(planRelease({ ...base, tokens: null, at: null }).release).toBe(10);
    expect(planRelease(base)).toEqual({ release: 5, tokens: 5, limitedBy: 'rate' });
  });

  it('carries fractions so the long-run count is exact', () => {
    let tokens: number | null = null;
    let at: number | null = null;
    let total = 0;
    const rate = 7.3;
    // 20 s of 250 ms ticks with a fractional rate.
    for (let now = 0; now <= 20_000; now += 250) {
      const p = planRelease({ ...base, now, rate, burst: 4, tokens, at });
      total += p.release;
      tokens = p.tokens - p.release;
      at = now;
    }
    const expected = rate * 20 + 4;
    expect(Math.abs(total - expected)).toBeLessThanOrEqual(1);
  });

  it('caps at burst plus at most one tick of lateness, however late the tick', () => {
    expect(refill(0, 0, 3_600_000, 20, 10)).toBe(10);
    // rate 20, burst 10, 250 ms ticks: 10 + 20 × 0.25 after a long gap.
    expect(planRelease({ ...base, tokens: 0, at: 0, now: 3_600_000 }).release).toBe(15);
    // rate 5/s, burst 1, 50 ms ticks: 100 ms late → 1 + 5 × 0.05 tokens, 600 ms late → the same cap.
    const late = (ms: number) => planRelease({ ...base, rate: 5, burst: 1, tickMs: 50, tokens: 0, at: base.now - ms }).tokens;
    expect(late(100)).toBeCloseTo(0.5, 6);
    expect(late(600)).toBeCloseTo(1.25, 6);
  });

  it('lets a tick that is late by less than a tick release everything that accrued', () => {
    // rate 2000/s, burst one tick (500), 250 ms ticks; a tick 400 ms after the last: 800 owed.
    const p = planRelease({ ...base, rate: 2000, burst: 500, tokens: 0, at: base.now - 400 });
    expect(p.release).toBe(800);
  });

  it('holds at least one tick of tokens, so a small burst does not lower the rate', () => {
    // 100/s with burst 2 and 250 ms ticks: 25 per tick, not 2.
    expect(planRelease({ ...base, rate: 100, burst: 2, tokens: 0, at: base.now - 250 }).release).toBe(25);
  });

  it('respects capacity, stock × overbook and queue length', () => {
    expect(planRelease({ ...base, tokens: 100, maxActive: 50, active: 48 })).toMatchObject({
      release: 2,
      limitedBy: 'capacity',
    });
    expect(planRelease({ ...base, tokens: 100, unitsLeft: 10, overbook: 1.5, active: 12 })).toMatchObject({
      release: 3,
      limitedBy: 'stock',
    });
    expect(planRelease({ ...base, tokens: 100, unitsLeft: 0, active: 0 }).release).toBe(0);
    expect(planRelease({ ...base, tokens: 100, waiting: 3 })).toMatchObject({
      release: 3,
      limitedBy: 'queue',
    });
    expect(planRelease({ ...base, tokens: 100, maxActive: 10, active: 30 }).release).toBe(0);
  });

  it('releases nobody when paused, queue-all or not open, but keeps refilling', () => {
    for (const p of [{ state: 'paused' as const }, { queueAll: true }, { state: 'prequeue' as const }]) {
      const r = planRelease({ ...base, ...p });
      expect(r.release).toBe(0);
      expect(r.tokens).toBe(5);
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
