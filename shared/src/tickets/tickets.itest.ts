// Tickets end to end against the real Redis keyring: sign, verify, tamper, rotate.
import { createHmac, createPrivateKey, KeyObject, sign as edSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { redisFixture, type RedisFixture } from '../testing/index.ts';
import { buildClaims } from './claims.ts';
import { ensureKeyring, loadKeyring, rotateKey } from './keyring.ts';
import { LocalKeys } from './keys-source.ts';
import { signTicket } from './sign.ts';
import { TicketVerifier } from './verify.ts';

let fx: RedisFixture;
const T0 = 1_800_000_000_000;
const claims = (placeId: string, over: Partial<{ admittedAtMs: number; ttlS: number; evt: string }> = {}) =>
  buildClaims({ placeId, evt: over.evt ?? 'demo', admittedAtMs: over.admittedAtMs ?? T0, ttlS: over.ttlS ?? 600, nowMs: T0, iss: 'sluice-gate', aud: 'sluice-checkout' });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

beforeAll(async () => {
  fx = await redisFixture();
  await Promise.all([ensureKeyring(fx.redis, fx.prefix), ensureKeyring(fx.redis, fx.prefix)]);
});
afterAll(() => fx.cleanup());

describe('tickets', () => {
  it('creates exactly one current key even when processes race', async () => {
    const all = await fx.redis.hgetall(`${fx.prefix}:keys`);
    expect(Object.keys(all).filter((f) => f !== 'current')).toHaveLength(1);
  });

  it('verifies a ticket against the published JWKS and rejects tampering', async () => {
    const ring = await loadKeyring(fx.redis, fx.prefix, T0);
    const v = new TicketVerifier({ keys: await LocalKeys.from(ring.jwks), issuer: 'sluice-gate', audience: 'sluice-checkout', now: () => T0 + 1000 });
    const token = await signTicket(ring.current, claims('p1'));
    expect((await v.verify(token, 'demo')).sub).toBe('p1');
    expect(JSON.stringify(ring.jwks)).not.toContain('"d"');

    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'p2', jti: 'p2' })).toString('base64url')}.${s}`;
    expect(await codeOf(v.verify(forged, 'demo'))).toBe('TICKET_SIGNATURE');
    // Change one character in the middle of the signature (never a no-op).
    const flipped = `${h}.${p}.${s.slice(0, 20)}${s[20] === 'A' ? 'B' : 'A'}${s.slice(21)}`;
    expect(await codeOf(v.verify(flipped, 'demo'))).toBe('TICKET_SIGNATURE');
  });

  it('refuses the classic attacks with their documented codes', async () => {
    const ring = await loadKeyring(fx.redis, fx.prefix, T0);
    const v = new TicketVerifier({ keys: await LocalKeys.from(ring.jwks), issuer: 'sluice-gate', audience: 'sluice-checkout', now: () => T0 + 1000 });
    const good = claims('p3');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', kid: ring.current.kid })}.${b64(good)}.`;
    expect(await codeOf(v.verify(none))).toBe('TICKET_MALFORMED');
    const noneSig = `${b64({ alg: 'none', kid: ring.current.kid })}.${b64(good)}.AAAA`;
    expect(await codeOf(v.verify(noneSig))).toBe('TICKET_ALG');
    // HS256 signed with the public key as the HMAC secret.
    const pub = JSON.stringify(ring.jwks.keys[0]);
    const hsInput = `${b64({ alg: 'HS256', kid: ring.current.kid })}.${b64(good)}`;
    const hs = `${hsInput}.${createHmac('sha256', pub).update(hsInput).digest('base64url')}`;
    expect(await codeOf(v.verify(hs))).toBe('TICKET_ALG');
    // Signed by a key that is not published.
    const other = createPrivateKey({ key: Buffer.from('302e020100300506032b657004220420' + '11'.repeat(32), 'hex'), format: 'der', type: 'pkcs8' });
    const foreign = await new SignJWT({ evt: 'demo' }).setProtectedHeader({ alg: 'EdDSA', kid: 'nope' }).setIssuer('sluice-gate').setAudience('sluice-checkout').setSubject('p').setJti('p').setIssuedAt(good.iat).setNotBefore(good.nbf).setExpirationTime(good.exp).sign(other);
    expect(await codeOf(v.verify(foreign))).toBe('TICKET_UNKNOWN_KEY');
    const sameKid = await new SignJWT({ evt: 'demo' }).setProtectedHeader({ alg: 'EdDSA', kid: ring.current.kid }).setIssuer('sluice-gate').setAudience('sluice-checkout').setSubject('p').setJti('p').setIssuedAt(good.iat).setNotBefore(good.nbf).setExpirationTime(good.exp).sign(other);
    expect(await codeOf(v.verify(sameKid))).toBe('TICKET_SIGNATURE');

    // Properly signed, but with a token type or a critical extension the gate never issues.
    const withHeader = (h: Record<string, unknown>) => {
      const input = `${b64({ alg: 'EdDSA', kid: ring.current.kid, ...h })}.${b64(good)}`;
      return `${input}.${edSign(null, Buffer.from(input), KeyObject.from(ring.current.key)).toString('base64url')}`;
    };
    expect(await codeOf(v.verify(withHeader({ typ: 'JWT' })))).toBe('ok');
    expect(await codeOf(v.verify(withHeader({ typ: 'at+jwt' })))).toBe('TICKET_MALFORMED');
    expect(await codeOf(v.verify(withHeader({ crit: ['x'], x: 1 })))).toBe('TICKET_MALFORMED');
    const sign = (c: object) => signTicket(ring.current, c as typeof good);
    expect(await codeOf(v.verify(await sign({ ...good, exp: Math.floor(T0 / 1000) - 60 })))).toBe('TICKET_EXPIRED');
    expect(await codeOf(v.verify(await sign({ ...good, nbf: Math.floor(T0 / 1000) + 60 })))).toBe('TICKET_NOT_YET_VALID');
    expect(await codeOf(v.verify(await sign({ ...good, aud: 'other' })))).toBe('TICKET_CLAIMS');
    expect(await codeOf(v.verify(await sign({ ...good, iss: 'other' })))).toBe('TICKET_CLAIMS');
    expect(await codeOf(v.verify(await sign(good), 'other-event'))).toBe('TICKET_CLAIMS');
    for (const junk of ['', 'abc', 'a.b.c', 'x'.repeat(5000), '..', 'eyJhbGciOiJFZERTQSJ9.e30.e30']) {
      expect(await codeOf(v.verify(junk))).toMatch(/^TICKET_/);
    }
  });

  it('accepts tickets within the clock tolerance only', async () => {
    const ring = await loadKeyring(fx.redis, fx.prefix, T0);
    const keys = await LocalKeys.from(ring.jwks);
    const token = await signTicket(ring.current, claims('p4', { ttlS: 60 }));
    const at = (ms: number) => new TicketVerifier({ keys, issuer: 'sluice-gate', audience: 'sluice-checkout', clockToleranceS: 5, now: () => ms });
    expect(await codeOf(at(T0 + 63_000).verify(token))).toBe('ok');
    expect(await codeOf(at(T0 + 66_000).verify(token))).toBe('TICKET_EXPIRED');
  });

  it('keeps the previous key published after rotation until its tickets expire', async () => {
    const before = await loadKeyring(fx.redis, fx.prefix, T0);
    const old = await signTicket(before.current, claims('p5'));
    const { previous, current } = await rotateKey(fx.redis, fx.prefix, 600, T0);
    expect(previous).toBe(before.current.kid);
    const after = await loadKeyring(fx.redis, fx.prefix, T0 + 1000);
    expect(after.current.kid).toBe(current);
    expect(after.jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([previous, current]));
    const v = new TicketVerifier({ keys: await LocalKeys.from(after.jwks), issuer: 'sluice-gate', audience: 'sluice-checkout', now: () => T0 + 1000 });
    expect(await codeOf(v.verify(old))).toBe('ok');
    const later = await loadKeyring(fx.redis, fx.prefix, T0 + 700_000);
    expect(later.jwks.keys.map((k) => k.kid)).toEqual([current]);
  });
});
