// POST /v1/login (token → session cookie), POST /v1/logout, GET /v1/session.
import type { Logger } from '@sluice/shared';
import { SluiceError } from '@sluice/shared';
import type { Request, Server } from 'hyper-express';
import { handled, jsonBody, ok } from '../http/respond.ts';
import type { Access } from './access.ts';
import { authenticate, isOwnOrigin, type RequestFacts } from './guard.ts';
import { clearedCookie, type SessionStore, sessionCookie, sessionTag } from './sessions.ts';
import { roleOf, type Tokens, tokenTag } from './tokens.ts';

export { LOGIN_FAILURES_MAX } from './access.ts';

export interface AuthDeps {
  tokens: Tokens;
  sessions: SessionStore;
  sessionTtlS: number;
  extraOrigins: readonly string[];
  log: Logger;
  access: Access;
  /** Close the live streams of a session (logout). */
  closeStreams: (sessionId: string) => void;
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
        throw new SluiceError('INVALID_FIELD', {
          field: 'token',
          message: 'token: must be the admin or viewer token',
        });
      }
      // Counted per operator address (through a trusted proxy), with wrong bearer tokens.
      const address = d.access.address(req);
      await d.access.notThrottled(address, 'login');
      const role = roleOf(d.tokens, token);
      if (!role) {
        await d.access.refused(address, 'login');
        throw new SluiceError('UNAUTHENTICATED', { message: 'Wrong token.' });
      }
      const { id, session } = await d.sessions.create(role, Date.now(), tokenTag(d.tokens, role));
      await d.access
        .record('login', { address, via: 'login', role, actor: `${role}/session:${sessionTag(id)}` })
        .catch(async (err: unknown) => {
          await d.sessions.destroy(id); // no session without its record
          throw err;
        });
      d.log.info({ role, address }, 'login');
      res.header('set-cookie', sessionCookie(id, { secure: isHttps(req), maxAgeS: d.sessionTtlS }));
      ok(res, { role, csrf: session.csrf, expiresInS: d.sessionTtlS });
    }),
  );

  app.post(
    '/v1/logout',
    handled(d.log, async (req, res) => {
      const who = await authenticate(facts(req), d.tokens, d.sessions);
      if (who?.sessionId) {
        await d.sessions.destroy(who.sessionId);
        d.closeStreams(who.sessionId);
        await d.access.record('logout', {
          address: d.access.address(req),
          via: 'session',
          role: who.role,
          actor: who.actor,
        });
      }
      res.header('set-cookie', clearedCookie(isHttps(req)));
      res.status(204).send();
    }),
  );

  app.get(
    '/v1/session',
    handled(d.log, async (req, res) => {
      const who = await d.access.identify(req, facts(req));
      if (!who) throw new SluiceError('UNAUTHENTICATED');
      ok(res, { role: who.role, via: who.via, csrf: who.csrf ?? null });
    }),
  );
}
