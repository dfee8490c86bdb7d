// The endpoint nginx's `auth_request` calls before passing a request to the origin: 204 when
// the request carries a valid admission ticket (Authorization: Bearer or the sluice_ticket
// cookie), 401 otherwise. nginx forwards the original request's headers to it; the event id
// comes from `X-Sluice-Event` (set in nginx.conf) or the EVENT_ID default.
// Run: `node --import tsx examples/nginx/verify-server.ts` (env VERIFY_PORT, JWKS_URL,
// TICKET_AUDIENCE, TICKET_ISSUER, EVENT_ID).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isEventId, ticketFromHeaders, verifyAdmission } from '@sluice/shared';

export interface VerifyServerOptions {
  host?: string;
  port?: number;
  jwksUrl: string;
  audience: string;
  issuer?: string;
  /** Event used when nginx does not send X-Sluice-Event. */
  event: string;
}

export async function startVerifyServer(
  o: VerifyServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const requested = one(req.headers['x-sluice-event']);
    const event = requested && isEventId(requested) ? requested : o.event;
    const token = ticketFromHeaders({
      authorization: one(req.headers.authorization),
      cookie: one(req.headers.cookie),
    });
    if (!token) {
      res.writeHead(401, { 'x-sluice-error': 'TICKET_MISSING' }).end();
      return;
    }
    verifyAdmission(token, {
      jwksUrl: o.jwksUrl,
      audience: o.audience,
      event,
      ...(o.issuer ? { issuer: o.issuer } : {}),
    }).then(
      // nginx can pass these on to the origin with auth_request_set.
      (c) => res.writeHead(204, { 'x-sluice-sub': c.sub, 'x-sluice-exp': String(c.exp) }).end(),
      (err: { code?: string }) =>
        res.writeHead(401, { 'x-sluice-error': err.code ?? 'TICKET_MALFORMED' }).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  const s = await startVerifyServer({
    port: Number(env.VERIFY_PORT ?? 8090),
    jwksUrl: env.JWKS_URL ?? 'http://127.0.0.1:8080/.well-known/jwks.json',
    audience: env.TICKET_AUDIENCE ?? 'sluice-checkout',
    issuer: env.TICKET_ISSUER ?? 'sluice-gate',
    event: env.EVENT_ID ?? 'demo',
  });
  console.log(`sluice verify endpoint on 127.0.0.1:${s.port}/verify`);
}
