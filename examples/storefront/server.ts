// A tiny demo storefront (node:http) showing the integration end to end: its pages include
// sluice.js (no ticket → queue page), its API refuses requests without a valid ticket
// (requireAdmission → verifyAdmission against the gate's JWKS), and it offers the cookie-mode
// endpoint. `npm start` uses it as the demo's return URL; the browser tests land on it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAdmitEndpoint,
  requireAdmission,
  type AdmittedRequest,
  type TicketClaims,
} from '@sluice/shared';

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

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function page(o: StorefrontOptions, cookieEndpoint: string): string {
  const cookieAttrs =
    o.mode === 'cookie' ? ` data-mode="cookie" data-cookie-endpoint="${esc(cookieEndpoint)}"` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo store</title>
<style>body{font:1.0625rem/1.5 system-ui,sans-serif;max-width:34rem;margin:2.5rem auto;padding:0 1.25rem;color:#1b1b1f}
.ok{background:#e3f5e1;color:#0f3d0c;padding:1rem;border-radius:.5rem}.bad{background:#fde7e6;color:#5c0f0a;padding:1rem;border-radius:.5rem}</style>
<script src="${esc(o.sluiceJsUrl)}" data-event="${esc(o.event)}" data-queue="${esc(o.queuePageUrl)}" data-gate="${esc(o.gateUrl)}"${cookieAttrs}></script>
</head><body>
<h1>Limited sneaker</h1>
<p id="verdict" role="status">Checking your admission with the shop…</p>
<script>
(async () => {
  const v = document.getElementById('verdict');
  if (!window.sluice) return;
  // proofHeaders adds a DPoP proof when the event binds tickets to this browser's key.
  const api = new URL('${STORE_PATH}api/session', location.href).href;
  const res = await fetch(api, { headers: await window.sluice.proofHeaders('GET', api), credentials: 'same-origin' });
  if (res.ok) {
    const c = await res.json();
    v.className = 'ok';
    v.dataset.sub = c.sub;
    v.textContent = 'You are in: the shop\\'s server verified your ticket. Buy before ' + new Date(c.exp * 1000).toLocaleTimeString() + '.';
  } else {
    v.className = 'bad';
    v.textContent = 'The shop did not accept your ticket. Taking you back to the queue…';
    setTimeout(() => window.sluice.queue(), 3000);
  }
})();
</script>
</body></html>`;
}

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

  const server = createServer((req: IncomingMessage & AdmittedRequest, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === STORE_PATH || path === STORE_PATH.slice(0, -1)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page(o, new URL(`${STORE_PATH}sluice/admit`, origin).toString()));
      return;
    }
    if (path === `${STORE_PATH}sluice/admit`) {
      void admit(req, res);
      return;
    }
    if (path === `${STORE_PATH}api/session` || path === `${STORE_PATH}checkout`) {
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
