// Middlewares that refuse traffic without a valid admission ticket: one for Express-style
// servers (Express, Connect, plain node:http: `(req, res, next)` over IncomingMessage /
// ServerResponse) and one for hyper-express. The verified claims are left on `req.sluice`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TicketClaims } from '../tickets/claims.ts';
import { checkAdmission, type GuardOptions, type GuardRequest } from './guard.ts';

export interface AdmittedRequest {
  sluice?: TicketClaims;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Express / Connect / node:http middleware.
 * @example app.use('/checkout', requireAdmission({ jwksUrl, audience: 'sluice-checkout', event: 'drop1' }));
 */
export function requireAdmission(opts: GuardOptions) {
  return (
    req: IncomingMessage & AdmittedRequest,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ): void => {
    const g: GuardRequest = {
      method: req.method ?? 'GET',
      // Express rewrites req.url under a mount path; originalUrl is the full one.
      url: (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
      headers: {
        authorization: one(req.headers.authorization),
        cookie: one(req.headers.cookie),
        accept: one(req.headers.accept),
        dpop: one(req.headers.dpop),
        host: one(req.headers.host),
      },
    };
    checkAdmission(g, opts).then(
      (r) => {
        if (r.ok) {
          req.sluice = r.claims;
          next();
          return;
        }
        res.writeHead(r.rejection.status, r.rejection.headers);
        res.end(req.method === 'HEAD' ? undefined : r.rejection.body);
      },
      (err) => next(err),
    );
  };
}

/** The parts of hyper-express's Request / Response this middleware uses. */
interface HyperRequest {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
}
interface HyperResponse {
  status(code: number): HyperResponse;
  header(name: string, value: string): HyperResponse;
  send(body?: string): unknown;
}

/**
 * hyper-express middleware (also works as a route-level middleware).
 * @example server.use('/checkout', hyperExpressAdmission({ jwksUrl, audience, event: 'drop1' }));
 */
export function hyperExpressAdmission(opts: GuardOptions) {
  return (req: HyperRequest & AdmittedRequest, res: HyperResponse, next: (err?: Error) => void): void => {
    const g: GuardRequest = {
      method: req.method,
      url: req.url,
      headers: {
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
        accept: req.headers.accept,
        dpop: req.headers.dpop,
        host: req.headers.host,
      },
    };
    checkAdmission(g, opts).then(
      (r) => {
        if (r.ok) {
          req.sluice = r.claims;
          next();
          return;
        }
        res.status(r.rejection.status);
        for (const [k, v] of Object.entries(r.rejection.headers)) res.header(k, v);
        res.send(req.method === 'HEAD' ? '' : r.rejection.body);
      },
      (err: Error) => next(err),
    );
  };
}
