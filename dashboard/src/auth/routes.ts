// POST /v1/login (token → session cookie), POST /v1/logout, GET /v1/session.
import type { Logger, Redis } from '@sluice/shared';
import { SluiceError } from '@sluice/shared';
import type { Request, Server } from 'hyper-express';
import { handled, jsonBody, ok } from '../http/respond.ts';
import { dashboardKeys } from '../keys.ts';
import { authenticate, isOwnOrigin, type RequestFacts } from './guard.ts';
import { clearedCookie, type SessionStore, sessionCookie } from './sessions.ts';
import { roleOf, type Tokens } from './tokens.ts';

/** Failed logins allowed per client address per window. */
export const LOGIN_FAILURES_MAX = 20;
const LOGIN_WINDOW_S = 300;

export interface AuthDeps {
  redis: Redis;
  prefix: string;
  tokens: Tokens;
  sessions: SessionStore;
  sessionTtlS: number;
  extraOrigins: readonly string[];
  log: Logger;
}

export function facts(req: Request): RequestFacts {
  const h = req.headers;
  return {
    method: req.method,
    authorization: h.authorization,
    cookie: h.cookie,
    origin: h.origin,
    host: h.host,
    csrf: h['x-csrf-token'],
  };
}

export function isHttps(req: Request): boolean {
  return req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
}

export function registerAuthRoutes(app: Server, d: AuthDeps): void {
  const k = dashboardKeys(d.prefix);

  app.post(
    '/v1/login',
    handled(d.log, async (req, res) => {
      const origin = req.headers.origin;
      if (origin !== undefined && !isOwnOrigin(origin, req.headers.host, d.extraOrigins)) {
        throw new SluiceError('CSRF', { message: 'Cross-site login refused.' });
      }
      const body = await jsonBody(req);
      const token = (body as { token?: unknown } | null)?.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 512) {
        throw new SluiceError('INVALID_FIELD', { field: 'token', message: 'token: must be the admin or viewer token' });
      }
      const failKey = k.loginFailures(req.ip);
      if (Number(await d.redis.get(failKey)) >= LOGIN_FAILURES_MAX) throw new SluiceError('RATE_LIMITED');
      const role = roleOf(d.tokens, token);
      if (!role) {
        await d.redis.multi().incr(failKey).expire(failKey, LOGIN_WINDOW_S).exec();
        d.log.warn({ ip: req.ip }, 'failed login');
        throw new SluiceError('UNAUTHENTICATED', { message: 'Wrong token.' });
      }
      const { id, session } = await d.sessions.create(role, Date.now());
      d.log.info({ role, ip: req.ip }, 'login');
      res.header('set-cookie', sessionCookie(id, { secure: isHttps(req), maxAgeS: d.sessionTtlS }));
      ok(res, { role, csrf: session.csrf, expiresInS: d.sessionTtlS });
    }),
  );

  app.post(
    '/v1/logout',
    handled(d.log, async (req, res) => {
      const who = await authenticate(facts(req), d.tokens, d.sessions);
      if (who?.sessionId) await d.sessions.destroy(who.sessionId);
      res.header('set-cookie', clearedCookie(isHttps(req)));
      res.status(204).send();
    }),
  );

  app.get(
    '/v1/session',
    handled(d.log, async (req, res) => {
      const who = await authenticate(facts(req), d.tokens, d.sessions);
      if (!who) throw new SluiceError('UNAUTHENTICATED');
      ok(res, { role: who.role, via: who.via, csrf: who.csrf ?? null });
    }),
  );
}
