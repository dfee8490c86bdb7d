import { describe, expect, it } from 'vitest';
import { diffBuckets, parseHistogram, quantile } from './prom.ts';

const text = (a: number, b: number, c: number) => `# HELP h x
# TYPE h histogram
h_bucket{code="ok",le="0.01"} ${a}
h_bucket{code="ok",le="0.1"} ${b}
h_bucket{code="ok",le="+Inf"} ${c}
h_bucket{code="SOLD_OUT",le="0.01"} 1
h_bucket{code="SOLD_OUT",le="0.1"} 1
h_bucket{code="SOLD_OUT",le="+Inf"} 1
h_sum{code="ok"} 1
h_count{code="ok"} ${c}
other_bucket{le="0.01"} 99
`;

describe('histogram quantiles', () => {
  it('sums label sets and ignores other metrics', () => {
    const b = parseHistogram(text(10, 20, 20), 'h');
    expect(b.get(0.01)).toBe(11);
    expect(b.get(Number.POSITIVE_INFINITY)).toBe(21);
  });

  it('interpolates inside the bucket like histogram_quantile', () => {
    const prev = parseHistogram(text(0, 0, 0), 'h');
    const cur = parseHistogram(text(50, 100, 100), 'h');
    const d = diffBuckets(prev, cur)!;
    expect(quantile(0.5, d)).toBeCloseTo(0.01, 6); // rank 50 = top of the first bucket
    expect(quantile(0.75, d)).toBeCloseTo(0.01 + 0.09 * 0.5, 6);
    expect(quantile(0.99, d)).toBeCloseTo(0.01 + 0.09 * 0.98, 6);
  });

  it('has no quantile without observations and starts over after a restart', () => {
    expect(quantile(0.5, new Map())).toBeNull();
    expect(diffBuckets(parseHistogram(text(5, 5, 5), 'h'), parseHistogram(text(1, 1, 1), 'h'))).toBeNull();
  });
});
