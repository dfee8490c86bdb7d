// decodeUnverified (atob, one regex, headers decoded once per distinct segment) reads what a
// plain base64url + UTF-8 + JSON.parse decode reads, non-ASCII claims included, and refuses what
// is not a compact JWS of JSON objects.
import { describe, expect, it } from 'vitest';
import { decodeUnverified } from './claims.ts';

const seg = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jws = (h: unknown, p: unknown) => `${seg(h)}.${seg(p)}.${seg('sig')}`;

describe('decodeUnverified', () => {
  it('reads header and payload as JSON, UTF-8 claims included', () => {
    const header = { alg: 'EdDSA', kid: 'k-é', typ: 'JWT' };
    const payload = { sub: 'place-1', evt: 'café', iss: 'gate ✓', n: 1 };
    expect(decodeUnverified(jws(header, payload))).toEqual({ header, payload });
    // The same header again comes from the cache, unchanged and frozen (callers only read it).
    const again = decodeUnverified(jws(header, { sub: 'place-2' }))!;
    expect(again.header).toEqual(header);
    expect(Object.isFrozen(again.header)).toBe(true);
    expect(again.payload).toEqual({ sub: 'place-2' });
  });

  it('refuses what is not a compact JWS of JSON objects', () => {
    const h = seg({ alg: 'EdDSA' });
    const p = seg({ sub: 'x' });
    for (const bad of [
      `${h}.${p}`,
      `${h}.${p}.s.x`,
      `${h}.${p}.`,
      `${h}..s`,
      `${h}.${p}+.s`,
      `${h}.${seg('[1]')}.s`,
      `${seg('"str"')}.${p}.s`,
      `${h}.${seg('{not json')}.s`,
      `${h}.${p}${'A'.repeat((5 - (p.length % 4)) % 4)}.s`, // a length no base64 has
      `${seg([1])}.${p}.s`,
      'x'.repeat(3000),
    ]) {
      expect(decodeUnverified(bad), bad).toBeNull();
    }
  });
});
