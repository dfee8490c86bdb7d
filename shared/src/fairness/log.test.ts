import { describe, expect, it } from 'vitest';
import { chainHash, genesisHash, type LogEntry, LogChecker, type LogLine } from './log.ts';

const base: LogEntry = { n: 1, at: 1000, t: 1000, st: 'open', rate: 10, size: 5, tp: 1000, tokp: 5, tok0: 5, tok: 5, act: 0, max: 100, units: 100, ob: 1, adm: [], gone: [], hi: 0 };

/** Chain `entries` the way the gate does and check them. */
function check(entries: Partial<LogEntry>[]) {
  const c = new LogChecker('e1');
  let h = genesisHash('e1');
  entries.forEach((p, i) => {
    const e = JSON.stringify({ ...base, n: i + 1, tp: p.t ?? base.t, ...p });
    const line: LogLine = { i, prev: h, e };
    h = chainHash(h, e);
    c.add(line);
  });
  return c.finish({ evt: 'e1', n: entries.length, hash: h, at: 0 });
}

describe('admission log checker', () => {
  it('accepts a log in order, with skipped numbers recorded as gone and counts within the bucket', () => {
    const s = check([
      { tok0: 5, tok: 0, adm: [[1, 3], [5, 6]], gone: [[4, 4]], hi: 6 },
      // Idle ticks in between are not logged: 0 tokens + 0.4 s × 10/s = 4 by 1400, + 0.1 s → 5.
      { n: 5, tp: 1400, tokp: 4, t: 1500, tok0: 5, tok: 1, adm: [[7, 10]], hi: 10 },
      { n: 6, tp: 1500, tokp: 1, rate: 20, t: 1600, tok0: 3, tok: 3, hi: 10 }, // rate change: logged
    ]);
    expect(s.problems).toEqual([]);
    expect(s).toMatchObject({ entries: 3, admitted: 9, gone: 1, hi: 10 });
  });

  it('catches numbers admitted out of order or skipped without a record', () => {
    expect(check([{ tok0: 5, tok: 3, adm: [[3, 4]], hi: 4 }]).problems.join()).toMatch(/numbers 1..2 skipped/);
    const s = check([
      { tok0: 5, tok: 3, adm: [[1, 2]], hi: 2 },
      { t: 1200, tok0: 5, tok: 4, adm: [[2, 2]], hi: 2 },
    ]);
    expect(s.problems.join()).toMatch(/out of order/);
  });

  it('catches a tick that admitted over the rate, over maxActive, over units × overbook, or while paused', () => {
    expect(check([{ tok0: 2, tok: 0, adm: [[1, 3]], hi: 3 }]).problems.join()).toMatch(/over the rate/);
    expect(check([{ tok0: 5, tok: 3, act: 99, adm: [[1, 2]], hi: 2 }]).problems.join()).toMatch(/maxActive/);
    expect(check([{ tok0: 5, tok: 3, units: 1, adm: [[1, 2]], hi: 2 }]).problems.join()).toMatch(/overbook/);
    expect(check([{ st: 'paused', tok0: 5, tok: 4, adm: [[1, 1]], hi: 1 }]).problems.join()).toMatch(/while paused/);
    // A bucket that refilled faster than the rate in force.
    const fast = check([{ tok0: 5, tok: 0, adm: [[1, 5]], hi: 5 }, { t: 1100, tp: 1000, tokp: 0, tok0: 5, tok: 0, adm: [[6, 10]], hi: 10 }]);
    expect(fast.problems.join()).toMatch(/bucket held 5 tokens, 1 expected/);
    // A bucket that claims to have been full after idle ticks that could not refill it.
    const skipped = check([{ tok0: 5, tok: 0, adm: [[1, 5]], hi: 5 }, { t: 1200, tp: 1100, tokp: 5, tok0: 5, tok: 0, adm: [[6, 10]], hi: 10 }]);
    expect(skipped.problems.join()).toMatch(/bucket started with 5 tokens at 1100, 1 expected/);
  });

  it('catches a broken chain, a missing entry and a head that does not cover the log', () => {
    const c = new LogChecker('e1');
    c.add({ i: 0, prev: 'f'.repeat(64), e: JSON.stringify(base) });
    c.add({ i: 2, prev: 'x', e: JSON.stringify({ ...base, n: 3 }) });
    const s = c.finish({ evt: 'e1', n: 5, hash: 'h', at: 0 });
    expect(s.problems.join('\n')).toMatch(/entry 0: chain broken/);
    expect(s.problems.join('\n')).toMatch(/expected entry 1/);
    expect(s.problems.join('\n')).toMatch(/head covers 5 entries, 3 were read/);
  });
});

describe('admission log checker against a dishonest log (review r15)', () => {
  it('refuses entries whose numbers are missing or not numbers (NaN would pass every bound)', () => {
    // Without tok0 the rate check compares with NaN and passes; without max/units the caps do.
    const noTok = check([{ tok0: undefined, tok: 0, adm: [[1, 50]], hi: 50 }]);
    expect(noTok.problems.join()).toMatch(/entry 0: field tok0 is not a number/);
    const strCaps = check([{ tok0: 5, tok: 4, max: '1e9' as unknown as number, units: undefined, adm: [[1, 1]], hi: 1 }]);
    expect(strCaps.problems.join()).toMatch(/field max is not a number/);
    expect(strCaps.problems.join()).toMatch(/field units is not a number/);
    const badAdm = check([{ tok0: 5, tok: 4, adm: 'x' as unknown as [number, number][], hi: 1 }]);
    expect(badAdm.problems.join()).toMatch(/field adm is not a list of ranges/);
  });

  it('refuses a bucket clock that runs backwards (each backwards step would refill the bucket again)', () => {
    // Entry 1 refills 4 s worth up to 5000 but leaves its clock at 1000; entry 2 refills from 1000 again.
    const s = check([
      { t: 1000, tp: 1000, tokp: 0, tok0: 0, tok: 0, size: 100 },
      { t: 1000, tp: 5000, tokp: 40, tok0: 40, tok: 0, size: 100, adm: [[1, 40]], hi: 40 },
      { t: 1000, tp: 5000, tokp: 40, tok0: 40, tok: 0, size: 100, adm: [[41, 80]], hi: 80 },
    ]);
    expect(s.problems.join()).toMatch(/entry 1: bucket clock 1000 before its previous 5000/);
  });
});
