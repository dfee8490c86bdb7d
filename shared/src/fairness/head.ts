// The signed head of an admission log: a JWT (EdDSA, the gate's ticket keys, so the JWKS a
// storefront already trusts verifies it) whose claims are the log's length and chain hash.
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import { TICKET_ALG } from '../tickets/claims.ts';
import type { SigningKey } from '../tickets/keyring.ts';
import { LOG_HEAD_TYP, type LogHead } from './log.ts';

export function signLogHead(key: SigningKey, head: LogHead): Promise<string> {
  return new SignJWT({ ...head })
    .setProtectedHeader({ alg: TICKET_ALG, kid: key.kid, typ: LOG_HEAD_TYP })
    .setIssuedAt(Math.floor(head.at / 1000))
    .sign(key.key);
}

/** Verify `jws` against a JWKS document; returns the head or throws (jose errors). */
export async function verifyLogHead(jws: string, jwks: JSONWebKeySet): Promise<LogHead> {
  const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks), { algorithms: [TICKET_ALG], typ: LOG_HEAD_TYP });
  const { evt, n, hash, at } = payload as unknown as LogHead;
  if (typeof evt !== 'string' || !Number.isInteger(n) || typeof hash !== 'string' || typeof at !== 'number') {
    throw new Error('log head claims are not of the documented shape');
  }
  return { evt, n, hash, at };
}
