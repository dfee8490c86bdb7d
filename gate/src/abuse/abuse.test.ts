import { describe, expect, it } from 'vitest';
import { IpLimiter } from './join-guard.ts';
import { originAllowed } from './origin.ts';
import { SocketCap } from './socket-cap.ts';

describe('IpLimiter', () => {
  it('allows `limit` joins per window per address', () => {
    const l = new IpLimiter(3, 10_000);
    expect([1, 2, 3, 4].map(() => l.take('1.2.3.4', 100))).toEqual([true, true, true, false]);
    expect(l.take('5.6.7.8', 200)).toBe(true);
    expect(l.take('1.2.3.4', 10_100)).toBe(true);
  });
});

describe('SocketCap', () => {
  it('holds at most `max` sockets per address and frees them on release', () => {
    const c = new SocketCap(2);
    expect([c.take('a'), c.take('a'), c.take('a'), c.take('b')]).toEqual([true, true, false, true]);
    c.release('a');
    expect(c.take('a')).toBe(true);
    c.release('a');
    c.release('a');
    c.release('b');
    expect(c.addresses).toBe(0);
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
