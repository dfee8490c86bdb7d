import { describe, expect, it } from 'vitest';
import { estimate } from './estimate.ts';

const base = { served: 0, tail: 0, len: 0, rate: 0, cfg: 10, st: 'open' as const };

describe('estimate', () => {
  it('counts people ahead, scaled by the share of numbers still waiting', () => {
    // 100 numbers handed out after the served one, but only 50 people still wait.
    expect(estimate({ ...base, served: 100, tail: 200, len: 50, rate: 10 }, 151).ahead).toBe(25);
    expect(estimate({ ...base, served: 100, tail: 200, len: 100, rate: 10 }, 151).ahead).toBe(50);
  });

  it('is zero once served', () => {
    expect(estimate({ ...base, served: 10, tail: 20, len: 10, rate: 5 }, 10)).toEqual({ ahead: 0, waitS: 0 });
  });

  it('never drifts upward while the line moves at a steady rate', () => {
    const score = 5000;
    let last = Number.POSITIVE_INFINITY;
    for (let t = 0; t < 400; t++) {
      // 12.5 numbers per second, frames every 250 ms; the tail keeps growing as others join.
      const served = Math.floor(t * 12.5 * 0.25);
      const tail = 6000 + t * 3;
      const w = estimate({ ...base, served, tail, len: tail - served, rate: 12.5 }, score).waitS;
      expect(w).not.toBeNull();
      expect(w!).toBeLessThanOrEqual(last);
      last = w!;
    }
    expect(last).toBeLessThan(Math.ceil(5000 / 12.5));
  });

  it('gives no wait while paused and falls back to the configured rate before the line moves', () => {
    expect(estimate({ ...base, st: 'paused', served: 0, tail: 10, len: 10 }, 5).waitS).toBeNull();
    expect(estimate({ ...base, served: 0, tail: 100, len: 100, rate: 0, cfg: 10 }, 50).waitS).toBe(5);
  });
});
