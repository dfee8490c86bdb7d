// The keyring against the real Redis, as an insider with Redis access sees it: private parts are
// sealed with the key-encryption key and kept apart from the public records, a retired key's
// private part is gone at once, and rotations racing each other all retire their predecessor.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globalKeys } from '../keys.ts';
import { redisFixture, type RedisFixture } from '../testing/index.ts';
import { buildClaims } from './claims.ts';
import { ensureKeyring, type KeyRecord, loadKeyring, rotateKey } from './keyring.ts';
import { LocalKeys } from './keys-source.ts';
import { signTicket } from './sign.ts';
import { TicketVerifier } from './verify.ts';

let fx: RedisFixture;
const kek = randomBytes(32);
const T0 = 1_800_000_000_000;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(() => fx.cleanup());

/** Every value stored under the keyring's names (what a dump of Redis shows). */
async function dump(): Promise<string[]> {
  const g = globalKeys(fx.prefix);
  return [
    ...Object.values(await fx.redis.hgetall(g.keys)),
    ...Object.values(await fx.redis.hgetall(g.signingKeys)),
  ];
}

describe('keyring at rest', () => {
  it('keeps no private key in clear and needs the encryption key to sign', async () => {
    await ensureKeyring(fx.redis, fx.prefix, T0, kek);
    const ring = await loadKeyring(fx.redis, fx.prefix, T0, kek);
    const g = globalKeys(fx.prefix);
    // No JWK private member ("d") anywhere: not in the public records, not in the sealed ones.
    const values = await dump();
    expect(values.length).toBeGreaterThanOrEqual(3);
    for (const v of values) expect(v).not.toMatch(/"d"\s*:/);
    const sealed = await fx.redis.hget(g.signingKeys, ring.current.kid);
    expect(sealed).toMatch(/^a256gcm\./);
    // The signing key works.
    const token = await signTicket(
      ring.current,
      buildClaims({ placeId: 'p1', evt: 'demo', admittedAtMs: T0, ttlS: 60, nowMs: T0, iss: 'i', aud: 'a' }),
    );
    const v = new TicketVerifier({
      keys: await LocalKeys.from(ring.jwks),
      issuer: 'i',
      audience: 'a',
      now: () => T0,
    });
    expect((await v.verify(token)).sub).toBe('p1');
    // Without the key, with another key, or with the sealed value moved to another kid: refused.
    await expect(loadKeyring(fx.redis, fx.prefix, T0, null)).rejects.toThrow(/SLUICE_KEY_ENCRYPTION_KEY/);
    await expect(loadKeyring(fx.redis, fx.prefix, T0, randomBytes(32))).rejects.toThrow();
    const other = 'k-moved';
    await fx.redis.hset(
      g.keys,
      other,
      JSON.stringify({ kid: other, createdAt: T0, retiredAt: null, publishUntil: null, publicJwk: {} }),
      'current',
      other,
    );
    await fx.redis.hset(g.signingKeys, other, sealed!);
    await expect(loadKeyring(fx.redis, fx.prefix, T0, kek)).rejects.toThrow();
  });

  it('deletes the private part of a retired key and keeps its public part published until expiry', async () => {
    await ensureKeyring(fx.redis, fx.prefix, T0, kek);
    const first = (await loadKeyring(fx.redis, fx.prefix, T0, kek)).current.kid;
    const r = await rotateKey(fx.redis, fx.prefix, 600, T0 + 1000, kek);
    expect(r.previous).toBe(first);
    const g = globalKeys(fx.prefix);
    expect(await fx.redis.hkeys(g.signingKeys)).toEqual([r.current]);
    const ring = await loadKeyring(fx.redis, fx.prefix, T0 + 2000, kek);
    expect(ring.jwks.keys.map((k) => k.kid).sort()).toEqual([first, r.current].sort());
    const later = await loadKeyring(fx.redis, fx.prefix, T0 + 1000 + 631_000, kek);
    expect(later.jwks.keys.map((k) => k.kid)).toEqual([r.current]);
  });

  it('retires every predecessor when rotations race (no key left current-less and unpublished)', async () => {
    await ensureKeyring(fx.redis, fx.prefix, T0, kek);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => rotateKey(fx.redis, fx.prefix, 600, T0 + 1000 + i, kek)),
    );
    const all = await fx.redis.hgetall(globalKeys(fx.prefix).keys);
    const current = all.current!;
    const records = Object.entries(all)
      .filter(([f]) => f !== 'current')
      .map(([, v]) => JSON.parse(v) as KeyRecord);
    expect(records).toHaveLength(13);
    // Each key that was ever current, except the last, was retired with a publication deadline,
    // so tickets it signed while it was current stay verifiable.
    for (const rec of records) {
      if (rec.kid === current) expect(rec.retiredAt).toBeNull();
      else expect(rec.publishUntil).toBeGreaterThan(T0);
    }
    // The rotations form one chain: every key was the `previous` of exactly one rotation.
    const previous = results.map((x) => x.previous);
    expect(new Set(previous).size).toBe(12);
    expect(await fx.redis.hkeys(globalKeys(fx.prefix).signingKeys)).toEqual([current]);
  });

  it('moves off a keyring written before private keys were sealed apart (no private key left in clear)', async () => {
    const g = globalKeys(fx.prefix);
    const legacy = {
      kid: 'k-legacy',
      createdAt: T0,
      retiredAt: null,
      publishUntil: null,
      privateJwk: { kty: 'OKP', crv: 'Ed25519', d: 'A'.repeat(43), x: 'B'.repeat(43) },
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'B'.repeat(43), kid: 'k-legacy' },
    };
    await fx.redis.hset(g.keys, 'k-legacy', JSON.stringify(legacy), 'current', 'k-legacy');
    const ring = await loadKeyring(fx.redis, fx.prefix, T0 + 1000, kek);
    expect(ring.current.kid).not.toBe('k-legacy');
    expect(ring.jwks.keys.map((k) => k.kid)).toContain('k-legacy');
    for (const v of await dump()) expect(v).not.toMatch(/"d"\s*:/);
  });
});
