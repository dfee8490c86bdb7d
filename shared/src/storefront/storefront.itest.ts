// verifyAdmission, the Express-style and hyper-express middlewares and the cookie endpoint,
// against real tickets, a real JWKS over HTTP, real Express 5 and real hyper-express servers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import HyperExpress from 'hyper-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../protocol/errors.ts';
import { verifyAdmission } from '../tickets/admission.ts';
import { createAdmitEndpoint } from './admit-endpoint.ts';
import { type AdmittedRequest, hyperExpressAdmission, requireAdmission } from './middleware.ts';
import { type TicketLab, ticketLab } from './testing.ts';

let lab: TicketLab;
beforeAll(async () => {
  lab = await ticketLab();
});
afterAll(() => lab.close());

const opts = () => ({ jwksUrl: lab.jwksUrl, audience: lab.audience, issuer: lab.issuer, event: 'drop1' });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return err instanceof SluiceError ? err.code : `unexpected ${String(err)}`;
  }
}

describe('verifyAdmission', () => {
  it('accepts a ticket for the event and returns its claims', async () => {
    const t = await lab.ticket({ evt: 'drop1', placeId: 'pA' });
    const c = await verifyAdmission(t, opts());
    expect(c).toMatchObject({ sub: 'pA', evt: 'drop1', aud: lab.audience, iss: lab.issuer });
  });

  it('refuses another event, an expired ticket, a forged one, junk, and the wrong audience', async () => {
    expect(await code(verifyAdmission(await lab.ticket({ evt: 'other' }), opts()))).toBe('TICKET_CLAIMS');
    const old = await lab.ticket({ evt: 'drop1', admittedAtMs: Date.now() - 3_600_000, ttlS: 60 });
    expect(await code(verifyAdmission(old, opts()))).toBe('TICKET_EXPIRED');
    expect(await code(verifyAdmission(await lab.forged('drop1'), opts()))).toBe('TICKET_SIGNATURE');
    expect(await code(verifyAdmission('not-a-jwt', opts()))).toBe('TICKET_MALFORMED');
    const t = await lab.ticket({ evt: 'drop1' });
    expect(await code(verifyAdmission(t, { ...opts(), audience: 'someone-else' }))).toBe('TICKET_CLAIMS');
  });

  it('honours an injected clock', async () => {
    const t = await lab.ticket({ evt: 'drop1', ttlS: 60 });
    expect(await code(verifyAdmission(t, { ...opts(), now: () => Date.now() + 3_600_000 }))).toBe(
      'TICKET_EXPIRED',
    );
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Express middleware (requireAdmission)', () => {
  let base: string;
  let server: Server;
  beforeAll(async () => {
    const app = express();
    app.use(
      '/drop',
      requireAdmission({
        ...opts(),
        queuePage: { url: 'https://cdn.example/queue/', gate: 'https://gate.example' },
        publicOrigin: 'https://shop.example',
      }),
    );
    app.get('/drop/buy', (req, res) => {
      res.json({ sub: (req as typeof req & AdmittedRequest).sluice?.sub });
    });
    server = createServer(app);
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('lets a request with a valid Bearer ticket through with the claims on req.sluice', async () => {
    const t = await lab.ticket({ evt: 'drop1', placeId: 'pE' });
    const res = await fetch(`${base}/drop/buy`, { headers: { authorization: `Bearer ${t}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'pE' });
  });

  it('accepts the ticket cookie', async () => {
    const t = await lab.ticket({ evt: 'drop1', placeId: 'pC' });
    const res = await fetch(`${base}/drop/buy`, { headers: { cookie: `x=1; sluice_ticket=${t}` } });
    expect(await res.json()).toEqual({ sub: 'pC' });
  });

  it('answers API calls without a valid ticket with 401 JSON', async () => {
    const res = await fetch(`${base}/drop/buy`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(await res.json()).toEqual({ error: { code: 'TICKET_MISSING', message: expect.any(String) } });
    const forged = await fetch(`${base}/drop/buy`, {
      headers: { authorization: `Bearer ${await lab.forged('drop1')}` },
    });
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('TICKET_SIGNATURE');
  });

  it('sends a browser without a ticket to the queue page, coming back to the same URL', async () => {
    const res = await fetch(`${base}/drop/buy?size=42`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe('https://cdn.example/queue/');
    expect(loc.searchParams.get('event')).toBe('drop1');
    expect(loc.searchParams.get('gate')).toBe('https://gate.example');
    expect(loc.searchParams.get('return')).toBe('https://shop.example/drop/buy?size=42');
  });
});

describe('hyper-express middleware', () => {
  let server: InstanceType<typeof HyperExpress.Server>;
  let base: string;
  beforeAll(async () => {
    server = new HyperExpress.Server();
    server.get('/drop/buy', hyperExpressAdmission(opts()), (req, res) => {
      res.json({ sub: (req as unknown as AdmittedRequest).sluice?.sub });
    });
    await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.close());

  it('lets a valid ticket through and refuses a missing or wrong-event one', async () => {
    const t = await lab.ticket({ evt: 'drop1', placeId: 'pH' });
    const ok = await fetch(`${base}/drop/buy`, { headers: { authorization: `Bearer ${t}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: 'pH' });
    const none = await fetch(`${base}/drop/buy`);
    expect(none.status).toBe(401);
    const other = await fetch(`${base}/drop/buy`, {
      headers: { authorization: `Bearer ${await lab.ticket({ evt: 'other' })}` },
    });
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('TICKET_CLAIMS');
  });
});

describe('cookie endpoint (createAdmitEndpoint)', () => {
  let base: string;
  let server: Server;
  beforeAll(async () => {
    const holder: { origin: string } = { origin: '' };
    let admit: ReturnType<typeof createAdmitEndpoint> | undefined;
    let guard: ReturnType<typeof requireAdmission> | undefined;
    server = createServer((req: Parameters<ReturnType<typeof requireAdmission>>[0], res) => {
      if (req.url === '/sluice/admit') return void admit!(req, res);
      guard!(req, res, () => res.writeHead(200).end(req.sluice?.sub));
    });
    base = await listen(server);
    holder.origin = base;
    admit = createAdmitEndpoint({ ...opts(), publicOrigin: base });
    guard = requireAdmission(opts());
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (fields: Record<string, string>) =>
    fetch(`${base}/sluice/admit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  it('turns a valid ticket into an HttpOnly cookie and redirects to the return path on its origin', async () => {
    const t = await lab.ticket({ evt: 'drop1', placeId: 'pK' });
    const res = await post({ ticket: t, return: `${base}/drop/item?x=1` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${base}/drop/item?x=1`);
    const cookies = res.headers.getSetCookie();
    const ticketCookie = cookies.find((c) => c.startsWith('sluice_ticket='))!;
    expect(ticketCookie).toContain('HttpOnly');
    expect(ticketCookie).toContain('SameSite=Lax');
    expect(cookies.find((c) => c.startsWith('sluice_admitted='))).toMatch(/^sluice_admitted=drop1\.\d+;/);
    // The cookie it set is what the guard accepts.
    const cookieHeader = cookies.map((c) => c.split(';')[0]).join('; ');
    const page = await fetch(`${base}/drop/item`, { headers: { cookie: cookieHeader } });
    expect(await page.text()).toBe('pK');
  });

  it('never redirects off the storefront origin and refuses a bad ticket', async () => {
    const t = await lab.ticket({ evt: 'drop1' });
    const res = await post({ ticket: t, return: 'https://evil.example/' });
    expect(res.headers.get('location')).toBe(`${base}/`);
    const bad = await post({ ticket: await lab.forged('drop1'), return: `${base}/` });
    expect(bad.status).toBe(401);
    expect(bad.headers.getSetCookie()).toEqual([]);
  });
});
