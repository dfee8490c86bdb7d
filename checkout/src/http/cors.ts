// CORS for storefront pages calling checkout from the browser: only configured origins, and the
// preflight answered before routing (the not-found catch-all is where OPTIONS requests land).
import type { MiddlewareHandler } from 'hyper-express';

export function corsMiddleware(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return next();
    res.header('access-control-allow-origin', origin);
    res.header('vary', 'Origin');
    if (req.method !== 'OPTIONS') return next();
    res.header('access-control-allow-methods', 'GET, POST');
    res.header('access-control-allow-headers', 'authorization, content-type, idempotency-key, dpop');
    res.header('access-control-max-age', '600');
    res.status(204).send();
  };
}
