import { describe, expect, it } from 'vitest';
import { countInversions, etaError, rateErrorPct, releaseRate } from './fairness.ts';

describe('fairness measures', () => {
  it('counts inversions, ignoring shoppers released in the same tick', () => {
    expect(countInversions([{ score: 1, admittedAt: 10 }, { score: 2, admittedAt: 10 }, { score: 3, admittedAt: 20 }])).toBe(0);
    expect(countInversions([{ score: 1, admittedAt: 30 }, { score: 2, admittedAt: 10 }, { score: 3, admittedAt: 20 }])).toBe(2);
    const rev = Array.from({ length: 50 }, (_, i) => ({ score: i, admittedAt: 1000 - i }));
    expect(countInversions(rev)).toBe((50 * 49) / 2);
  });

  it('measures the release rate and its error', () => {
    const at = Array.from({ length: 101 }, (_, i) => 5000 + i * 10); // 100 per second
    expect(releaseRate(at)).toBeCloseTo(100, 6);
    expect(rateErrorPct(99, 100)).toBeCloseTo(1, 6);
    expect(releaseRate([1])).toBe(0);
  });

  it('computes the wait-estimate error over real waits only', () => {
    const e = etaError([
      { predictedMs: 2000, actualMs: 1000 },
      { predictedMs: 1000, actualMs: 1000 },
      { predictedMs: 50, actualMs: 10 },
      { predictedMs: null, actualMs: 5000 },
    ]);
    expect(e.n).toBe(2);
    expect(e.meanPct).toBeCloseTo(50, 6);
  });
});
