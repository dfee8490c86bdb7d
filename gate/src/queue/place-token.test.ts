import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newPlaceId, signPlace, verifyPlace } from './place-token.ts';

const secret = randomBytes(32);

describe('place tokens', () => {
  it('round-trips and binds the event', () => {
    const id = newPlaceId();
    const tok = signPlace(secret, 'drop-1', id);
    expect(verifyPlace(secret, 'drop-1', tok)).toBe(id);
    expect(verifyPlace(secret, 'drop-2', tok)).toBeNull();
  });

  it('rejects forged, tampered and malformed tokens', () => {
    const id = newPlaceId();
    const tok = signPlace(secret, 'e', id);
    expect(verifyPlace(randomBytes(32), 'e', tok)).toBeNull();
    const other = newPlaceId();
    expect(verifyPlace(secret, 'e', tok.replace(id, other))).toBeNull();
    const last = tok.at(-1) === 'A' ? 'B' : 'A';
    expect(verifyPlace(secret, 'e', tok.slice(0, -1) + last)).toBeNull();
    for (const bad of [undefined, 42, '', 'a.b', 'e..x', 'x'.repeat(500), `e.${id}.`]) {
      expect(verifyPlace(secret, 'e', bad)).toBeNull();
    }
  });

  it('draws place ids from a pool without ever repeating one across refills', () => {
    const ids = Array.from({ length: 2000 }, () => newPlaceId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{16}$/.test(id))).toBe(true);
  });
});
