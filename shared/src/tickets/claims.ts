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
  header: Readonly<Record<string, unknown>>;
  payload: Record<string, unknown>;
}

/** Three base64url segments (one regex over the whole ticket instead of one per segment). */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const NON_ASCII = /[\u0080-\uffff]/;
/**
 * Decoded headers by their segment (frozen): every ticket of one key has the same header, so a
 * flood of junk decodes it once. Bounded: emptied when it holds HEADER_CACHE_MAX.
 */
const headers = new Map<string, Readonly<Record<string, unknown>>>();
const HEADER_CACHE_MAX = 64;

/** A base64url segment's JSON (atob with the URL alphabet mapped; UTF-8 only when not ASCII). */
function segmentJson(seg: string): unknown {
  const bin = atob(seg.replaceAll('-', '+').replaceAll('_', '/'));
  return JSON.parse(NON_ASCII.test(bin) ? Buffer.from(bin, 'latin1').toString('utf8') : bin);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decode header and payload without verifying; null when not a compact JWS of JSON objects. The
 * header may be shared between calls (frozen): callers only read it.
 */
export function decodeUnverified(token: string): DecodedParts | null {
  if (token.length > MAX_TICKET_LENGTH || !COMPACT.test(token)) return null;
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  try {
    const h = token.slice(0, dot1);
    let header = headers.get(h);
    if (header === undefined) {
      const parsed = segmentJson(h);
      if (!isObject(parsed)) return null;
      header = Object.freeze(parsed);
      if (headers.size >= HEADER_CACHE_MAX) headers.clear();
      headers.set(h, header);
    }
    const payload = segmentJson(token.slice(dot1 + 1, dot2));
    if (!isObject(payload)) return null;
    return { header, payload };
  } catch {
    return null; // not base64 (atob) or not JSON: malformed
  }
}
