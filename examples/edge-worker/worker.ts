// An edge worker (Cloudflare Workers / Fastly Compute / Deno Deploy style: a module exporting
// `fetch(request, env)`) that checks the admission ticket against the gate's JWKS before a
// request reaches the origin. Only web APIs and jose are used, so the same code runs on the edge
// and in Node (where the tests call it). Bundle it with your platform's tooling.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { queuePageUrl, readCookie, TICKET_COOKIE } from '@sluice/shared/storefront/constants.ts';

export interface Env {
  /** The gate's JWKS, e.g. https://gate.example/.well-known/jwks.json */
  JWKS_URL: string;
  TICKET_AUDIENCE: string;
  TICKET_ISSUER?: string;
  EVENT_ID: string;
  /** Origin to forward admitted requests to, e.g. https://origin.shop.example */
  ORIGIN_URL: string;
  /** Queue page (on the CDN) for browsers without a ticket. */
  QUEUE_PAGE_URL: string;
  GATE_URL?: string;
  /** Paths that need no ticket (comma-separated prefixes), e.g. `/static/,/favicon.ico`. */
  PUBLIC_PATHS?: string;
}

// One JWKS cache per isolate; jose refetches on an unknown kid (with a cooldown).
const jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function jwks(url: string) {
  let set = jwksByUrl.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), {
      cooldownDuration: 5_000,
      cacheMaxAge: 300_000,
      timeoutDuration: 2_000,
    });
    jwksByUrl.set(url, set);
  }
  return set;
}

function ticketOf(req: Request): string | null {
  const auth = req.headers.get('authorization');
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim() || null;
  return readCookie(req.headers.get('cookie'), TICKET_COOKIE);
}

/** The verified place id, or null. */
async function admittedSub(req: Request, env: Env): Promise<string | null> {
  const token = ticketOf(req);
  if (!token || token.length > 2048) return null;
  try {
    const { payload } = await jwtVerify(token, jwks(env.JWKS_URL), {
      algorithms: ['EdDSA'],
      issuer: env.TICKET_ISSUER ?? 'sluice-gate',
      audience: env.TICKET_AUDIENCE,
      clockTolerance: 5,
      requiredClaims: ['exp', 'nbf', 'jti', 'sub', 'evt'],
    });
    return payload.evt === env.EVENT_ID && typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

function refuse(req: Request, env: Env): Response {
  const wantsPage =
    (req.method === 'GET' || req.method === 'HEAD') &&
    (req.headers.get('accept') ?? '').includes('text/html');
  if (wantsPage) {
    const location = queuePageUrl(env.QUEUE_PAGE_URL, {
      event: env.EVENT_ID,
      returnUrl: req.url,
      ...(env.GATE_URL ? { gate: env.GATE_URL } : {}),
    });
    return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
  }
  return new Response(
    JSON.stringify({ error: { code: 'TICKET_MISSING', message: 'An admission ticket is required.' } }),
    {
      status: 401,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'www-authenticate': 'Bearer realm="sluice"',
      },
    },
  );
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const open = (env.PUBLIC_PATHS ?? '')
      .split(',')
      .filter(Boolean)
      .some((p) => url.pathname.startsWith(p));
    let sub: string | null = null;
    if (!open) {
      sub = await admittedSub(request, env);
      if (!sub) return refuse(request, env);
    }
    const target = new URL(url.pathname + url.search, env.ORIGIN_URL);
    const headers = new Headers(request.headers);
    headers.delete('x-sluice-sub'); // never trust one sent by the client
    if (sub) headers.set('x-sluice-sub', sub);
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers, redirect: 'manual' };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      init.body = request.body;
      init.duplex = 'half';
    }
    return fetch(target, init);
  },
};
