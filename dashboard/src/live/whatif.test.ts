import { describe, expect, it } from 'vitest';
import { formatDuration, whatIf } from './whatif.ts';

const base = { waiting: 600, joinsPerS: 10, stockLeft: 300, sold: 0, admittedTotal: 0, active: 0, maxActive: 1000, stopped: false };

describe('whatIf', () => {
  it('estimates the last wait, the drain time net of arrivals and the sell-out time', () => {
    const w = whatIf({ ...base, rate: 40 });
    expect(w.lastShopperWaitS).toBe(15);
    expect(w.drainS).toBe(20); // 600 / (40 − 10)
    expect(w.sellOutS).toBe(7.5); // 300 units at 40 shoppers/s, 1 unit each
  });

  it('uses the measured units per shopper once enough were admitted', () => {
    const w = whatIf({ ...base, rate: 10, sold: 150, admittedTotal: 100 });
    expect(w.unitsPerAdmit).toBe(1.5);
    expect(w.sellOutS).toBe(20);
  });

  it('says never when arrivals outpace the rate, or nothing moves', () => {
    expect(whatIf({ ...base, rate: 5 }).drainS).toBeNull();
    const stopped = whatIf({ ...base, rate: 40, stopped: true });
    expect(stopped).toMatchObject({ lastShopperWaitS: null, drainS: null, sellOutS: null });
    expect(stopped.notes.join()).toMatch(/stopped/);
    expect(whatIf({ ...base, rate: 0 }).sellOutS).toBeNull();
  });

  it('notes when maxActive, not the rate, is the limit', () => {
    expect(whatIf({ ...base, rate: 40, active: 1000 }).notes.join()).toMatch(/maxActive/);
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('never');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
    expect(formatDuration(0.2)).toBe('< 1 s');
  });
});
