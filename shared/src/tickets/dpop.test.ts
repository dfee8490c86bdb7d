// Proof-of-possession checks, pure: every field of an RFC 9449 proof is checked, the key must be
// the one the ticket names, and the signature must be by that key.
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { makeTestKey, makeTestProof } from '../testing/dpop.ts';
import { jwkThumbprint, ProofReplayCache, ticketHash, verifyProof } from './dpop.ts';

const URL_ = 'https://api.shop.example/v1/checkout';
const TICKET = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJwMSJ9.c2ln';
const NOW = 1_800_000_000_000;

function reason(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
}

describe('DPoP proofs', () => {
  it('computes the RFC 7638 thumbprint as jose does', async () => {
    const k = await makeTestKey();
    expect(jwkThumbprint(k.jwk)).toBe(await calculateJwkThumbprint(k.jwk, 'sha256'));
    const ed = {
      kty: 'OKP' as const,
      crv: 'Ed25519' as const,
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    };
    expect(jwkThumbprint(ed)).toBe(await calculateJwkThumbprint(ed, 'sha256'));
  });

  it('accepts a fresh proof by the bound key for this method, URL and ticket', async () => {
    const k = await makeTestKey();
    const proof = await makeTestProof(k, { method: 'POST', url: `${URL_}?x=1`, ticket: TICKET, nowMs: NOW });
    const p = verifyProof({
      proof,
      method: 'post',
      url: URL_,
      ticket: TICKET,
      jkt: k.jkt,
      nowMs: NOW + 2000,
    });
    expect(p.jti).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(p.expiresAtMs).toBeGreaterThan(NOW + 60_000);
  });

  it('refuses each wrong field with its reason', async () => {
    const k = await makeTestKey();
    const other = await makeTestKey();
    const base = { method: 'POST', url: URL_, ticket: TICKET, nowMs: NOW };
    const check = async (proof: string | undefined, over: Partial<Parameters<typeof verifyProof>[0]> = {}) =>
      reason(() =>
        verifyProof({ proof, method: 'POST', url: URL_, ticket: TICKET, jkt: k.jkt, nowMs: NOW, ...over }),
      );
    expect(await check(undefined)).toMatch(/TICKET_PROOF: .*missing/);
    expect(await check('a.b')).toMatch(/not a compact JWS/);
    // Signed by another browser's key (a copied ticket): refused before the signature is checked.
    expect(await check(await makeTestProof(other, base))).toMatch(/another key/);
    // The other key's proof, relabelled with the bound key's jwk: the signature gives it away.
    expect(await check(await makeTestProof(other, base, { header: { jwk: k.jwk } }))).toMatch(
      /bad signature/,
    );
    expect(await check(await makeTestProof(k, base, { header: { typ: 'JWT' } }))).toMatch(/typ/);
    expect(await check(await makeTestProof(k, base, { header: { alg: 'HS256' } }))).toMatch(/alg/);
    expect(
      await check(await makeTestProof(k, base, { header: { jwk: { ...k.jwk, d: 'x'.repeat(43) } } })),
    ).toMatch(/jwk/);
    expect(await check(await makeTestProof(k, base), { method: 'GET' })).toMatch(/htm/);
    expect(await check(await makeTestProof(k, { ...base, url: 'https://evil.example/v1/checkout' }))).toMatch(
      /htu/,
    );
    expect(
      await check(await makeTestProof(k, base, { payload: { ath: ticketHash('another ticket') } })),
    ).toMatch(/ath/);
    expect(await check(await makeTestProof(k, base, { payload: { jti: 'short' } }))).toMatch(/jti/);
    expect(await check(await makeTestProof(k, { ...base, nowMs: NOW - 120_000 }))).toMatch(/iat/);
    expect(await check(await makeTestProof(k, { ...base, nowMs: NOW + 60_000 }))).toMatch(/iat/);
    // Flip one signature byte.
    const good = await makeTestProof(k, base);
    const [h, p, s] = good.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[10] = sig[10]! ^ 1;
    expect(await check(`${h}.${p}.${sig.toString('base64url')}`)).toMatch(/bad signature/);
    expect(await check(good)).toBe('ok');
  });

  it('remembers proof ids while they could be accepted, and no longer', () => {
    const c = new ProofReplayCache(2);
    expect(c.claim('a', NOW + 1000, NOW)).toBe(true);
    expect(c.claim('a', NOW + 1000, NOW + 500)).toBe(false);
    expect(c.claim('a', NOW + 3000, NOW + 1500)).toBe(true);
    expect(c.claim('b', NOW + 9000, NOW)).toBe(true);
    expect(c.claim('c', NOW + 9000, NOW)).toBe(true);
    expect(c.claim('c', NOW + 9000, NOW)).toBe(false);
  });
});
