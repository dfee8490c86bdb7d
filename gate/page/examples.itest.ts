// The edge examples against real tickets and a real JWKS over HTTP: the fetch-handler worker is
// called exactly as an edge platform calls it (`fetch(request, env)`), and the nginx
// auth_request verify endpoint is called over HTTP as nginx would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TicketLab, ticketLab } from '@sluice/shared/storefront/testing.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import worker, { type Env } from '../../examples/edge-worker/worker.ts';
import { startVerifyServer } from '../../examples/nginx/verify-server.ts';

let lab: TicketLab;
let origin: Server;
let originUrl: string;
beforeAll(async () => {
  lab = await ticketLab();
  // The storefront origin behind the edge: echoes what reached it.
  origin = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          path: req.url,
          method: req.method,
          sub: req.headers['x-sluice-sub'] ?? null,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => origin.close(() => r()));
  await lab.close();
});

describe('edge worker (fetch handler)', () => {
  const env = (): Env => ({
    JWKS_URL: lab.jwksUrl,
    TICKET_AUDIENCE: lab.audience,
    TICKET_ISSUER: lab.issuer,
    EVENT_ID: 'drop1',
    ORIGIN_URL: originUrl,
    QUEUE_PAGE_URL: 'https://cdn.example/queue/',
    GATE_URL: 'https://gate.example',
    PUBLIC_PATHS: '/static/',
  });
  const call = (path: string, init: RequestInit = {}) =>
    worker.fetch(new Request(`https://shop.example${path}`, init), env());

  it('forwards a request with a valid ticket to the origin, with the verified place id', async () => {
    const t = await lab.ticket({ evt: 'drop1', placeId: 'pW' });
    const res = await call('/drop/buy?q=1', {
      method: 'POST',
      body: 'sku=1',
      headers: { authorization: `Bearer ${t}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/drop/buy?q=1', method: 'POST', sub: 'pW', body: 'sku=1' });
    const viaCookie = await call('/drop/', {
      headers: { cookie: `sluice_ticket=${await lab.ticket({ evt: 'drop1', placeId: 'pX' })}` },
    });
    expect(((await viaCookie.json()) as { sub: string }).sub).toBe('pX');
  });

  it('sends browsers without a ticket to the queue and answers API calls with 401', async () => {
    const page = await call('/drop/item', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    const loc = new URL(page.headers.get('location')!);
    expect(loc.searchParams.get('event')).toBe('drop1');
    expect(loc.searchParams.get('return')).toBe('https://shop.example/drop/item');
    expect(loc.searchParams.get('gate')).toBe('https://gate.example');
    expect((await call('/drop/api')).status).toBe(401);
  });

  it('refuses forged, other-event and expired tickets', async () => {
    const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    expect((await call('/drop/', bearer(await lab.forged('drop1')))).status).toBe(401);
    expect((await call('/drop/', bearer(await lab.ticket({ evt: 'other' })))).status).toBe(401);
    const old = await lab.ticket({ evt: 'drop1', admittedAtMs: Date.now() - 3_600_000, ttlS: 60 });
    expect((await call('/drop/', bearer(old))).status).toBe(401);
  });

  it('lets public paths through without a ticket and never trusts a client-sent place id', async () => {
    const res = await call('/static/app.css', { headers: { 'x-sluice-sub': 'spoofed' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sub: string | null }).sub).toBeNull();
  });
});

describe('nginx auth_request verify endpoint', () => {
  it('answers 204 with the place id for a valid ticket and 401 otherwise', async () => {
    const s = await startVerifyServer({
      jwksUrl: lab.jwksUrl,
      audience: lab.audience,
      issuer: lab.issuer,
      event: 'drop1',
    });
    try {
      const url = `http://127.0.0.1:${s.port}/verify`;
      const t = await lab.ticket({ evt: 'drop1', placeId: 'pN' });
      const ok = await fetch(url, { headers: { authorization: `Bearer ${t}` } });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('x-sluice-sub')).toBe('pN');
      const cookie = await fetch(url, { headers: { cookie: `sluice_ticket=${t}` } });
      expect(cookie.status).toBe(204);
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(none.headers.get('x-sluice-error')).toBe('TICKET_MISSING');
      // nginx names the event per location; a ticket for another event does not pass.
      const other = await fetch(url, {
        headers: { authorization: `Bearer ${t}`, 'x-sluice-event': 'drop2' },
      });
      expect(other.status).toBe(401);
      expect(other.headers.get('x-sluice-error')).toBe('TICKET_CLAIMS');
    } finally {
      await s.close();
    }
  });
});
