// Test support for storefront integrations: real Ed25519 keys in the real Redis (the gate's
// keyring), their JWKS served over real HTTP, and tickets signed with them, so middlewares and
// edge examples are exercised against the same verification path as production.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair } from 'jose';
import { redisFixture } from '../testing/index.ts';
import { buildClaims } from '../tickets/claims.ts';
import { ensureKeyring, loadKeyring } from '../tickets/keyring.ts';
import { signTicket } from '../tickets/sign.ts';

export interface TicketLab {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A ticket for `evt` signed with the current key. */
  ticket(p: { evt: string; placeId?: string; admittedAtMs?: number; ttlS?: number }): Promise<string>;
  /** A well-formed ticket signed with a key that is not in the JWKS (same kid). */
  forged(evt: string): Promise<string>;
  close(): Promise<void>;
}

export async function ticketLab(): Promise<TicketLab> {
  const fx = await redisFixture();
  await ensureKeyring(fx.redis, fx.prefix);
  const ring = await loadKeyring(fx.redis, fx.prefix);
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ring.jwks));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = 'sluice-gate';
  const audience = 'sluice-checkout';
  let n = 0;
  const claims = (evt: string, placeId: string, admittedAtMs: number, ttlS: number) =>
    buildClaims({ placeId, evt, admittedAtMs, ttlS, nowMs: admittedAtMs, iss: issuer, aud: audience });
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    issuer,
    audience,
    ticket: ({ evt, placeId, admittedAtMs, ttlS }) =>
      signTicket(ring.current, claims(evt, placeId ?? `p${++n}`, admittedAtMs ?? Date.now(), ttlS ?? 600)),
    async forged(evt) {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      return signTicket({ kid: ring.current.kid, key: privateKey }, claims(evt, 'pforged', Date.now(), 600));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await fx.cleanup();
    },
  };
}
