// Console sessions in Redis with a TTL. The cookie carries a random id; Redis holds only its
// SHA-256, so a Redis dump gives no usable cookie. Each session has its own CSRF token.
import { randomBytes } from 'node:crypto';
import type { Redis } from '@sluice/shared';
import { dashboardKeys, sha256 } from '../keys.ts';
import type { Role } from './tokens.ts';

export const SESSION_COOKIE = 'sluice_dash';

export interface Session {
  role: Role;
  csrf: string;
  at: number;
  /** tokenTag of the token it was opened with: a changed token ends the session. */
  tok: string;
}

export interface SessionStore {
  create(role: Role, now: number, tok: string): Promise<{ id: string; session: Session }>;
  get(id: string): Promise<Session | null>;
  destroy(id: string): Promise<void>;
}

export function redisSessions(redis: Redis, prefix: string, ttlS: number): SessionStore {
  const k = dashboardKeys(prefix);
  return {
    async create(role, now, tok) {
      const id = randomBytes(32).toString('base64url');
      const session: Session = { role, csrf: randomBytes(24).toString('base64url'), at: now, tok };
      await redis.set(k.session(id), JSON.stringify(session), 'EX', ttlS);
      return { id, session };
    },
    async get(id) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
      const raw = await redis.get(k.session(id));
      return raw ? (JSON.parse(raw) as Session) : null;
    },
    async destroy(id) {
      await redis.del(k.session(id));
    },
  };
}

/** Short, non-secret name of a session for the audit log. */
export function sessionTag(id: string): string {
  return sha256(id).slice(0, 10);
}

export interface CookieOpts {
  secure: boolean;
  maxAgeS: number;
}

export function sessionCookie(id: string, o: CookieOpts): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${o.maxAgeS}${o.secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session id from a Cookie header, or ''. */
export function readSessionCookie(header: string | undefined): string {
  if (!header) return '';
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return '';
}
