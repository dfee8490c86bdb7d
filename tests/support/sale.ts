// An open sale on a set of stores: the event in Redis (open, stock per product) and in
// PostgreSQL (initial stock for reconciliation), the signing keyring in Redis, tickets minted the
// way the gate mints them, a JWKS served over HTTP for a checkout process, and a buyer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildClaims,
  createEvent,
  type EventConfig,
  ensureKeyring,
  eventKeys,
  type Keyring,
  loadKeyring,
  persistEvent,
  setEventState,
  issueTicket,
} from '@sluice/shared';
import { uniqueId } from '@sluice/shared/testing/index.ts';
import type { Stores } from './stores.ts';

export interface SaleProduct {
  sku: string;
  stock: number;
  limitPerShopper?: number;
  name?: string;
}

export interface OpenSale {
  evt: string;
  config: EventConfig;
  k: ReturnType<typeof eventKeys>;
  keyring: Keyring;
  /** A ticket for `placeId` (jti = sub = placeId), signed with the current key. */
  ticket(
    placeId?: string,
    over?: { nowMs?: number; admittedAtMs?: number; ttlS?: number; evt?: string; aud?: string; iss?: string },
  ): Promise<string>;
}

export async function openSale(
  s: Stores,
  products: SaleProduct[] = [{ sku: 'SKU-1', stock: 10 }],
  patch: Record<string, unknown> = {},
): Promise<OpenSale> {
  const evt = typeof patch.id === 'string' ? patch.id : uniqueId('e');
  const now = Date.now();
  const rec = await createEvent(
    s.redis,
    s.prefix,
    {
      id: evt,
      name: `Fault sale ${evt}`,
      startAt: now - 1000,
      allowedOrigins: ['https://shop.example'],
      powDifficulty: 0,
      powSurgeDifficulty: 0,
      products: products.map((p) => ({
        sku: p.sku,
        name: p.name ?? `Product ${p.sku}`,
        priceCents: 1000,
        stock: p.stock,
        limitPerShopper: p.limitPerShopper ?? 1,
      })),
      ...patch,
    },
    now,
  );
  await setEventState(s.redis, s.prefix, evt, 'open', now);
  await persistEvent(s.pool, rec.config);
  await ensureKeyring(s.redis, s.prefix, now);
  const keyring = await loadKeyring(s.redis, s.prefix, now);
  return {
    evt,
    config: rec.config,
    k: eventKeys(s.prefix, evt),
    keyring,
    ticket(placeId = uniqueId('p'), over = {}) {
      const nowMs = over.nowMs ?? Date.now();
      return issueTicket(
        s.redis,
        s.prefix,
        keyring.current,
        buildClaims({
          placeId,
          evt: over.evt ?? evt,
          admittedAtMs: over.admittedAtMs ?? nowMs,
          ttlS: over.ttlS ?? 600,
          nowMs,
          iss: over.iss ?? 'sluice-gate',
          aud: over.aud ?? 'sluice-checkout',
        }),
      );
    },
  };
}

/** Serve a JWKS document over HTTP (what checkout fetches from the gate). */
export async function serveJwks(jwks: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface BuyResult {
  status: number;
  code?: string;
  orderId?: string;
  /** When the answer arrived, ms after the request was sent. */
  ms: number;
}

/** POST /v1/checkout with `ticket`; never throws (a network failure is status 0). */
export async function buy(
  base: string,
  ticket: string,
  body = '{"sku":"SKU-1","qty":1}',
  timeoutMs = 10_000,
): Promise<BuyResult> {
  const t0 = Date.now();
  try {
    const res = await fetch(`${base}/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = (await res.json().catch(() => ({}))) as { orderId?: string; error?: { code: string } };
    const out: BuyResult = { status: res.status, ms: Date.now() - t0 };
    if (json.orderId) out.orderId = json.orderId;
    if (json.error?.code) out.code = json.error.code;
    return out;
  } catch (err) {
    return { status: 0, code: (err as Error).name, ms: Date.now() - t0 };
  }
}
