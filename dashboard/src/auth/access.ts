// Who is calling, for every dashboard route, with the defences around it: the operator's address
// (through a trusted proxy only, shared/src/net/client-address.ts), wrong tokens throttled per
// address whether they come as a bearer token or through the login form (LOGIN_FAILURES_MAX per
// LOGIN_WINDOW_S), and every login, logout, refusal and throttled attempt written to `auth_log`
// in PostgreSQL.
import {
  clientAddress,
  type Logger,
  type Pool,
  type Redis,
  SluiceError,
  type TrustedProxies,
} from '@sluice/shared';
import type { Request } from 'hyper-express';
import { dashboardKeys } from '../keys.ts';
import { authenticate, type Principal, type RequestFacts } from './guard.ts';
import type { SessionStore } from './sessions.ts';
import type { Tokens } from './tokens.ts';

/** Wrong tokens allowed per client address per window, bearer and login form together. */
export const LOGIN_FAILURES_MAX = 20;
export const LOGIN_WINDOW_S = 300;

export type AuthKind = 'login' | 'logout' | 'refused' | 'throttled';
export type AuthVia = 'login' | 'bearer' | 'session';

export interface AccessDeps {
  redis: Redis;
  pool: Pool;
  prefix: string;
  tokens: Tokens;
  sessions: SessionStore;
  proxies: TrustedProxies;
  log: Logger;
}

export class Access {
  readonly d: AccessDeps;
  constructor(d: AccessDeps) {
    this.d = d;
  }

  /** The operator's address: the peer, or what a configured proxy reports. */
  address(req: Request): string {
    const h = req.headers;
    return clientAddress(req.ip, h['x-real-ip'] ?? '', h['x-forwarded-for'] ?? '', this.d.proxies);
  }

  /** Throws RATE_LIMITED (and records it) while `address` is over its wrong-token budget. */
  async notThrottled(address: string, via: AuthVia): Promise<void> {
    const n = Number(await this.d.redis.get(dashboardKeys(this.d.prefix).loginFailures(address)));
    if (n < LOGIN_FAILURES_MAX) return;
    await this.record('throttled', { address, via });
    throw new SluiceError('RATE_LIMITED');
  }

  /** Count a wrong token against `address` and record the refusal. */
  async refused(address: string, via: AuthVia): Promise<void> {
    const key = dashboardKeys(this.d.prefix).loginFailures(address);
    await this.d.redis.multi().incr(key).expire(key, LOGIN_WINDOW_S).exec();
    this.d.log.warn({ address, via }, 'wrong token');
    await this.record('refused', { address, via });
  }

  /**
   * The caller of `req`, or null. A bearer token is throttled and refused like a login; a
   * session is checked against the current token (a token change ends it).
   */
  async identify(req: Request, f: RequestFacts): Promise<Principal | null> {
    const bearer = f.authorization !== undefined && f.authorization !== '';
    const address = bearer ? this.address(req) : '';
    if (bearer) await this.notThrottled(address, 'bearer');
    const p = await authenticate(f, this.d.tokens, this.d.sessions);
    if (!p && bearer) await this.refused(address, 'bearer');
    return p;
  }

  /**
   * One row of auth_log. Logins fail closed (the caller lets the error through: no session
   * without a record); refusals and throttling are best effort, logged when PostgreSQL is down.
   */
  async record(
    kind: AuthKind,
    r: { address: string; via: AuthVia; role?: string; actor?: string },
  ): Promise<void> {
    const write = this.d.pool.query(
      'INSERT INTO auth_log (kind, role, actor, address, via) VALUES ($1, $2, $3, $4, $5)',
      [kind, r.role ?? null, r.actor ?? null, r.address.slice(0, 64), r.via],
    );
    if (kind === 'login') {
      await write.catch((err: unknown) => {
        throw new SluiceError('UNAVAILABLE', {
          message: 'Audit log unavailable; not logged in.',
          cause: err,
        });
      });
      return;
    }
    await write.catch((err: unknown) =>
      this.d.log.error({ err, kind, address: r.address }, 'auth_log write failed'),
    );
  }
}
