// The shop's server calls the Sluice checkout API for the page (server to server), forwarding the
// shopper's ticket. Why not from the browser with CORS: in cookie mode the ticket is an HttpOnly
// cookie the page cannot read; the shop keeps one origin for its page and API (no CORS list to
// keep in step, checkout need not face browsers); and the shop's server is where a real shop adds
// its cart, account and address checks before it places the order. The cost is one hop on
// loopback or the shop's own network. Checkout verifies the ticket, so the proxy does not.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ticketFromHeaders } from '@sluice/shared';

/** Largest body the shop accepts from its page (`{ qty, key }`). */
const MAX_BODY = 1024;
/** How long the shop waits for checkout before telling the page it is busy. */
const TIMEOUT_MS = 10_000;

export interface CheckoutProxy {
  /** GET: what is on sale and how many units are left (public, no ticket). */
  products(res: ServerResponse): Promise<void>;
  /** POST `{ sku, qty, key }`: place the order with the shopper's ticket and the page's Idempotency-Key. */
  buy(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** GET: the order's status, shown only to the ticket that placed it. */
  order(req: IncomingMessage, res: ServerResponse, orderId: string): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
}

/** The page sees checkout's own answer (status and `{ error: { code } }` body): one catalog. */
async function relay(res: ServerResponse, call: Promise<Response>): Promise<void> {
  try {
    const r = await call;
    send(res, r.status, await r.text());
  } catch {
    // Checkout unreachable or slow: the page treats it like a busy checkout and retries with the
    // same Idempotency-Key, which cannot buy twice.
    send(res, 503, JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'Checkout did not answer.' } }));
  }
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function checkoutProxy(checkoutUrl: string, event: string): CheckoutProxy {
  const base = checkoutUrl.replace(/\/+$/, '');
  const auth = (req: IncomingMessage): Record<string, string> => {
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const t = ticketFromHeaders({ authorization: one(req.headers.authorization), cookie: one(req.headers.cookie) });
    return t ? { authorization: `Bearer ${t}` } : {};
  };
  const signal = () => AbortSignal.timeout(TIMEOUT_MS);
  return {
    products: (res) => relay(res, fetch(`${base}/v1/events/${encodeURIComponent(event)}/products`, { signal: signal() })),
    async buy(req, res) {
      const raw = await readBody(req);
      let body: { sku?: unknown; qty?: unknown; key?: unknown } = {};
      try {
        body = JSON.parse(raw ?? '') as typeof body;
      } catch {
        // Not JSON: the checks below refuse it.
      }
      if (typeof body !== 'object' || body === null || typeof body.key !== 'string') {
        send(res, 400, JSON.stringify({ error: { code: 'INVALID_BODY', message: 'Expected { sku, qty, key }.' } }));
        return;
      }
      await relay(
        res,
        fetch(`${base}/v1/checkout`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': body.key, ...auth(req) },
          body: JSON.stringify({ sku: body.sku, qty: body.qty }),
          signal: signal(),
        }),
      );
    },
    order: (req, res, orderId) =>
      relay(res, fetch(`${base}/v1/orders/${encodeURIComponent(orderId)}`, { headers: auth(req), signal: signal() })),
  };
}
