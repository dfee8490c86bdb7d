// A small demo shop (node:http) showing the integration end to end: its page includes sluice.js
// (no ticket → queue page), shows the product with its price and units left, and buys through
// the Sluice checkout API with the shopper's ticket (server to server: checkout-proxy.ts). Its
// session API refuses requests without a valid ticket (requireAdmission → verifyAdmission
// against the gate's JWKS), and it offers the cookie-mode endpoint. `npm start` uses it as the
// demo's return URL; the browser tests land on it.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  createAdmitEndpoint,
  FAVICON_SVG,
  requireAdmission,
  type AdmittedRequest,
  type TicketClaims,
} from '@sluice/shared';
import { type CheckoutProxy, checkoutProxy } from './checkout-proxy.ts';
import { shopPage } from './page.ts';

export interface StorefrontOptions {
  host?: string;
  port?: number;
  /** The gate's JWKS URL. */
  jwksUrl: string;
  audience: string;
  issuer?: string;
  event: string;
  /** Where the queue page is hosted (its index), and the gate it should use. */
  queuePageUrl: string;
  gateUrl: string;
  /** URL of sluice.js (next to the queue page on the CDN). */
  sluiceJsUrl: string;
  /** Public origin of this storefront (default: http://<host>:<port>). */
  publicOrigin?: string;
  /** `fragment` (default) or `cookie` hand-over. */
  mode?: 'fragment' | 'cookie';
  /** The Sluice checkout API as this server reaches it; without it the page cannot buy. */
  checkoutUrl?: string;
}

export interface Storefront {
  port: number;
  origin: string;
  /** The page the queue sends shoppers back to. */
  returnUrl: string;
  /** Claims of every ticket this storefront's server accepted, newest last. */
  accepted: TicketClaims[];
  close(): Promise<void>;
}

export const STORE_PATH = '/demo-store/';
const API = `${STORE_PATH}api/`;
const SHOP_JS = readFileSync(fileURLToPath(new URL('shop.js', import.meta.url)), 'utf8');

export async function startStorefront(o: StorefrontOptions): Promise<Storefront> {
  const host = o.host ?? '127.0.0.1';
  const accepted: TicketClaims[] = [];
  let origin = o.publicOrigin ?? '';
  const guardOpts = () => ({
    jwksUrl: o.jwksUrl,
    audience: o.audience,
    event: o.event,
    ...(o.issuer ? { issuer: o.issuer } : {}),
    queuePage: { url: o.queuePageUrl, gate: o.gateUrl },
    publicOrigin: origin,
  });
  let guard: ReturnType<typeof requireAdmission>;
  let admit: ReturnType<typeof createAdmitEndpoint>;
  const proxy: CheckoutProxy | null = o.checkoutUrl ? checkoutProxy(o.checkoutUrl, o.event) : null;

  const server = createServer((req: IncomingMessage & AdmittedRequest, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === STORE_PATH || path === STORE_PATH.slice(0, -1)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        shopPage({
          ...o,
          apiPath: API,
          shopJsPath: `${STORE_PATH}shop.js`,
          cookieEndpoint: o.mode === 'cookie' ? new URL(`${STORE_PATH}sluice/admit`, origin).toString() : null,
        }),
      );
      return;
    }
    if (path === `${STORE_PATH}shop.js`) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(SHOP_JS);
      return;
    }
    if (path === '/favicon.ico') {
      // For browsers that ask anyway (the page declares an inline icon).
      res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400' }).end(FAVICON_SVG);
      return;
    }
    if (path?.startsWith(API) && path !== `${API}session`) {
      if (!proxy) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'No checkout configured.' } }));
        return;
      }
      const rest = path.slice(API.length);
      if (rest === 'products' && req.method === 'GET') void proxy.products(res);
      else if (rest === 'buy' && req.method === 'POST') void proxy.buy(req, res);
      else if (rest.startsWith('orders/') && req.method === 'GET') void proxy.order(req, res, rest.slice(7));
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (path === `${STORE_PATH}sluice/admit`) {
      void admit(req, res);
      return;
    }
    if (path === `${API}session`) {
      guard(req, res, (err) => {
        if (err || !req.sluice) {
          res.writeHead(500).end();
          return;
        }
        accepted.push(req.sluice);
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ sub: req.sluice.sub, evt: req.sluice.evt, exp: req.sluice.exp }));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  origin ||= `http://${host}:${port}`;
  guard = requireAdmission(guardOpts());
  admit = createAdmitEndpoint({ ...guardOpts(), publicOrigin: origin });
  return {
    port,
    origin,
    returnUrl: new URL(STORE_PATH, origin).toString(),
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
