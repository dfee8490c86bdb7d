// Admission ticket claims: pure construction and the cheap pre-signature checks.

export interface TicketClaims {
  iss: string;
  aud: string;
  /** Place id of the admitted shopper. */
  sub: string;
  /** Event id. */
  evt: string;
  /** Ticket id; single use at checkout. */
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  /** Confirmation (RFC 7800): the thumbprint of the key each use must prove (bound tickets). */
  cnf?: { jkt: string };
}

export const TICKET_ALG = 'EdDSA';
/** Longest ticket accepted before any parsing, bytes. */
export const MAX_TICKET_LENGTH = 2048;

/**
 * Claims for a ticket. `exp` comes from the admission time, so a ticket re-sent on reconnect
 * expires when the first one did.
 */
export function buildClaims(p: {
  placeId: string;
  evt: string;
  admittedAtMs: number;
  ttlS: number;
  nowMs: number;
  iss: string;
  aud: string;
  /** RFC 7638 thumbprint of the shopper's key, for events that bind tickets. */
  jkt?: string | undefined;
}): TicketClaims {
  const iat = Math.floor(p.nowMs / 1000);
  const claims: TicketClaims = {
    iss: p.iss,
    aud: p.aud,
    sub: p.placeId,
    evt: p.evt,
    jti: p.placeId,
    iat,
    nbf: Math.floor(p.admittedAtMs / 1000) - 1,
    exp: Math.floor(p.admittedAtMs / 1000) + p.ttlS,
  };
  if (p.jkt) claims.cnf = { jkt: p.jkt };
  return claims;
}

export interface DecodedParts {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Decode header and payload without verifying; null when not a compact JWS of JSON objects. */
export function decodeUnverified(token: string): DecodedParts | null {
  if (token.length > MAX_TICKET_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => p.length > 0 && B64URL.test(p))) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return null;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
    return { header, payload };
  } catch {
    return null;
  }
}
