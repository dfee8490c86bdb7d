import { describe, expect, it } from 'vitest';
import { IpLimiter } from './ip-limit.ts';
import { originAllowed } from './origin.ts';

describe('IpLimiter', () => {
  it('allows `limit` joins per window per address', () => {
    const l = new IpLimiter(3, 10_000);
    expect([1, 2, 3, 4].map(() => l.take('1.2.3.4', 100))).toEqual([true, true, true, false]);
    expect(l.take('5.6.7.8', 200)).toBe(true);
    expect(l.take('1.2.3.4', 10_100)).toBe(true);
  });
});

describe('originAllowed', () => {
  it('allows listed origins, dev origins and non-browser clients only', () => {
    expect(originAllowed('https://shop.example', ['https://shop.example'], [])).toBe(true);
    expect(originAllowed('http://localhost:5173', [], ['http://localhost:5173'])).toBe(true);
    expect(originAllowed('https://evil.example', ['https://shop.example'], [])).toBe(false);
    expect(originAllowed('', ['https://shop.example'], [])).toBe(true);
  });
});
