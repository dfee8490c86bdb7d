import { describe, expect, it } from 'vitest';
import { countInversions, etaError, loggedTick, logRateError, rateErrorPct, releaseRate, windowRateError } from './fairness.ts';

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

  it('measures the rate error over rate-bound ticks only', () => {
    // 100/s in 250 ms ticks: a first batch of 50 (the full bucket), then 25 per tick; the
    // queue runs dry at t = 2000 (a short last batch of 3), a tick after endBefore is ignored.
    const at: number[] = [];
    for (let i = 0; i < 50; i++) at.push(1000);
    for (let t = 1250; t <= 1750; t += 250) for (let i = 0; i < 25; i++) at.push(t);
    at.push(2000, 2000, 2000, 9000);
    const w = windowRateError(at, 100, 5000)!;
    expect(w.seconds).toBeCloseTo(0.75, 6);
    expect(w.admitted).toBe(75);
    expect(w.errorPct).toBeCloseTo(0, 6);
    // A release 20% slow over the window shows as a 20% error.
    const slow = windowRateError([0, 250, 250, 250, 250, 500, 500, 500, 500, 750], 20, 10_000)!;
    expect(slow.admitted).toBe(8);
    expect(slow.errorPct).toBeCloseTo(20, 6);
    expect(windowRateError([0, 250], 20, 10_000)).toBeNull();
  });

  it('measures the rate error on the bucket clock of the admission log', () => {
    expect(loggedTick('{"n":3,"at":1000,"t":1007,"adm":[[1,10],[12,14]],"gone":[[11,11]],"tok":0.4}')).toEqual({
      at: 1000,
      t: 1007,
      admitted: 13,
      tokAfter: 0.4,
    });
    expect(loggedTick('{"n":1,"st":"open"}')).toBeNull();
    // 100/s, 250 ms ticks started on time by the admitter but released 0, 200, 0, 0 ms late on
    // Redis's clock: the admitter's stamps say 25 per 250 ms... except where the release slipped.
    const ticks = [
      { at: 0, t: 10, admitted: 50, tokAfter: 0 },
      { at: 250, t: 260, admitted: 25, tokAfter: 0 },
      { at: 500, t: 710, admitted: 45, tokAfter: 0 }, // late: what accrued since 260
      { at: 750, t: 760, admitted: 5, tokAfter: 0 },
      { at: 1000, t: 1010, admitted: 25, tokAfter: 0 },
      { at: 1250, t: 1260, admitted: 3, tokAfter: 22 }, // the queue ran dry: tokens left, not rate-bound
      { at: 1500, t: 1510, admitted: 2, tokAfter: 45 },
    ];
    const w = logRateError(ticks, 100, 1e9, 250)!;
    expect(w.seconds).toBeCloseTo(1, 6);
    expect(w.admitted).toBe(100);
    expect(w.errorPct).toBeCloseTo(0, 6);
    expect(w.lateMs).toEqual([0, 200, 0, 0]);
    // A window that ends right after the late tick still matches on the bucket's clock.
    const cut = ticks.slice(0, 4);
    expect(logRateError(cut, 100, 1e9, 250)!.errorPct).toBeCloseTo(0, 6);
    // A tick later than the bucket holds loses what overflowed: that shows.
    const lost = logRateError([...ticks.slice(0, 2), { at: 500, t: 1260, admitted: 50, tokAfter: 0 }, { at: 750, t: 1270, admitted: 1, tokAfter: 0 }], 100, 1e9, 250)!;
    expect(lost.admitted).toBe(76);
    expect(lost.errorPct).toBeCloseTo(((126 - 76) / 126) * 100, 6);
    expect(logRateError(ticks.slice(0, 1), 100, 1e9, 250)).toBeNull();
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
