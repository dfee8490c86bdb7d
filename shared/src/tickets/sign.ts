// Signing admission tickets (EdDSA / Ed25519, compact JWS).
import { SignJWT } from 'jose';
import { TICKET_ALG, type TicketClaims } from './claims.ts';
import type { SigningKey } from './keyring.ts';

export async function signTicket(key: SigningKey, claims: TicketClaims): Promise<string> {
  const { iss, aud, sub, jti, iat, nbf, exp, evt, cnf } = claims;
  return new SignJWT(cnf ? { evt, cnf } : { evt })
    .setProtectedHeader({ alg: TICKET_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(iss)
    .setAudience(aud)
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setNotBefore(nbf)
    .setExpirationTime(exp)
    .sign(key.key);
}
