// A shopper's key and DPoP proofs made the way the browser makes them (WebCrypto, P-256,
// non-extractable), for tests of bound tickets outside a browser.
import { webcrypto } from 'node:crypto';
import { jwkThumbprint, type PublicJwk, ticketHash } from '../tickets/dpop.ts';

export interface TestKey {
  privateKey: webcrypto.CryptoKey;
  jwk: PublicJwk;
  jkt: string;
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function makeTestKey(): Promise<TestKey> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const full = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  const jwk: PublicJwk = { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y! };
  return { privateKey: pair.privateKey, jwk, jkt: jwkThumbprint(jwk) };
}

/** A proof for one request; `over` replaces header or payload fields (to build bad ones). */
export async function makeTestProof(
  key: TestKey,
  p: { method: string; url: string; ticket: string; nowMs?: number },
  over: { header?: Record<string, unknown>; payload?: Record<string, unknown> } = {},
): Promise<string> {
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk, ...over.header });
  const payload = b64({
    jti: Buffer.from(webcrypto.getRandomValues(new Uint8Array(18))).toString('base64url'),
    htm: p.method,
    htu: p.url,
    iat: Math.floor((p.nowMs ?? Date.now()) / 1000),
    ath: ticketHash(p.ticket),
    ...over.payload,
  });
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, Buffer.from(`${header}.${payload}`));
  return `${header}.${payload}.${Buffer.from(sig).toString('base64url')}`;
}
