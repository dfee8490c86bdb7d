import { describe, expect, it } from 'vitest';
import { bucketOf, bucketUpper, Hist } from './hist.ts';

describe('Hist', () => {
  it('reports quantiles within 1 % of the exact value and never below it', () => {
    const h = new Hist();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10);
    const p50 = h.quantile(0.5);
    const p99 = h.quantile(0.99);
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(505.1);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(1000);
    expect(h.quantile(1)).toBe(1000);
    expect(h.n).toBe(10_000);
  });

  it('merges like recording everything in one', () => {
    const a = new Hist();
    const b = new Hist();
    const all = new Hist();
    for (let i = 0; i < 500; i++) {
      const v = (i * 37) % 211;
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    const merged = Hist.from(JSON.parse(JSON.stringify(a.toJSON()))).merge(b);
    expect(merged.summary()).toEqual(all.summary());
  });

  it('keeps sub-millisecond values apart', () => {
    expect(bucketOf(0.05)).not.toBe(bucketOf(0.5));
    expect(bucketUpper(bucketOf(0.234))).toBeCloseTo(0.24, 5);
    expect(new Hist().quantile(0.5)).toBeNaN();
  });
});
