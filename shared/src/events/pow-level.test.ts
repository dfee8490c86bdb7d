import { describe, expect, it } from 'vitest';
import { joinsPerSecond, powDifficultyAt } from './pow-level.ts';

describe('joins per second', () => {
  it('slides over the previous window', () => {
    expect(joinsPerSecond({ w: 0, n: 500, pn: 1000 }, 5_000)).toBe(100);
    expect(joinsPerSecond({ w: 0, n: 500, pn: 1000 }, 0)).toBe(150);
    expect(joinsPerSecond({ w: 0, n: 1000, pn: 0 }, 15_000)).toBe(50);
    expect(joinsPerSecond({ w: 0, n: 1000, pn: 0 }, 20_000)).toBe(0);
    expect(joinsPerSecond({ w: 10_000, n: 1000, pn: 0 }, 0)).toBe(0);
  });
});

describe('powDifficultyAt', () => {
  const c = { powDifficulty: 14, powSurgeJoinsPerS: 200, powSurgeDifficulty: 16 };
  it('raises the difficulty only while joins per second exceed the threshold', () => {
    expect(powDifficultyAt(c, 199)).toBe(14);
    expect(powDifficultyAt(c, 201)).toBe(16);
    expect(powDifficultyAt({ ...c, powSurgeJoinsPerS: 0 }, 1e6)).toBe(14);
    expect(powDifficultyAt({ ...c, powSurgeDifficulty: 10 }, 1e6)).toBe(14);
  });
});
