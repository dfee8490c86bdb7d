// Who is calling and may they do this? A bearer token (scripts) or the session cookie (the
// console). Cookie-authenticated state changes must also prove they come from the console:
// the Origin, when sent, is the dashboard's own, and X-CSRF-Token matches the session's token.
// SameSite=Strict already keeps the cookie off cross-site requests; this is the second lock.
import { timingSafeEqual } from 'node:crypto';
import { SluiceError } from '@sluice/shared';
import { readSessionCookie, type SessionStore, sessionTag } from './sessions.ts';
import { type Role, roleOf, type Tokens, tokenTag } from './tokens.ts';

export interface Principal {
  role: Role;
  via: 'bearer' | 'session';
  /** Written to the audit log as the actor. */
  actor: string;
  /** The session's CSRF token (session only). */
  csrf?: string;
  sessionId?: string;
}

export interface RequestFacts {
  method: string;
  authorization: string | undefined;
  cookie: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  csrf: string | undefined;
}

/** The caller, or null when there is no valid credential. A bad bearer token is not a fallback to the cookie. */
export async function authenticate(
  req: RequestFacts,
  tokens: Tokens,
  sessions: SessionStore,
): Promise<Principal | null> {
  const auth = req.authorization;
  if (auth !== undefined && auth !== '') {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const role = m ? roleOf(tokens, m[1]!) : null;
    return role ? { role, via: 'bearer', actor: `${role}/bearer` } : null;
  }
  const id = readSessionCookie(req.cookie);
  if (id === '') return null;
  const s = await sessions.get(id);
  if (!s) return null;
  // Opened with a token that is no longer the role's (rotated, or the role switched off).
  if ((s.role === 'viewer' && tokens.viewer === '') || s.tok !== tokenTag(tokens, s.role)) {
    await sessions.destroy(id);
    return null;
  }
  return {
    role: s.role,
    via: 'session',
    actor: `${s.role}/session:${sessionTag(id)}`,
    csrf: s.csrf,
    sessionId: id,
  };
}

export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether `origin` is the dashboard itself (same host, either scheme) or an extra allowed origin. */
export function isOwnOrigin(origin: string, host: string | undefined, extra: readonly string[]): boolean {
  if (extra.includes(origin)) return true;
  if (!host) return false;
  return origin === `http://${host}` || origin === `https://${host}`;
}

/**
 * Throws UNAUTHENTICATED (401), FORBIDDEN (403: viewer on a change) or CSRF (403).
 * @example const who = authorize(await authenticate(facts, tokens, sessions), facts, 'write', [])
 */
export function authorize(
  p: Principal | null,
  req: RequestFacts,
  need: 'read' | 'write',
  extraOrigins: readonly string[],
): Principal {
  if (!p) throw new SluiceError('UNAUTHENTICATED');
  if (need === 'write' && p.role !== 'admin') {
    throw new SluiceError('FORBIDDEN', { message: 'The viewer role may not change anything.' });
  }
  if (p.via === 'session' && !SAFE_METHODS.has(req.method.toUpperCase())) {
    if (req.origin !== undefined && !isOwnOrigin(req.origin, req.host, extraOrigins)) {
      throw new SluiceError('CSRF', { message: 'Cross-site request refused (Origin).' });
    }
    if (!req.csrf || !p.csrf || !sameSecret(req.csrf, p.csrf)) {
      throw new SluiceError('CSRF', { message: 'Missing or wrong X-CSRF-Token.' });
    }
  }
  return p;
}

function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
