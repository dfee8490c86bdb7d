// Tickets bound to the shopper's browser, in Debian's Chromium against the real gate, Redis and
// checkout: the storefront's drop-in makes a non-extractable key, the queue page joins with its
// public part, the ticket carries its thumbprint; the same ticket copied into a second browser
// (another profile, so no key) is refused by checkout and by the storefront's server, and the
// first browser buys with a fresh proof per request.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutSchema, createLogger, decodeUnverified, loadConfig } from '@sluice/shared';
import { TEST_DATABASE_URL } from '@sluice/shared/testing/index.ts';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { CHROMIUM, type Stack, startStack, until } from './e2e/stack.ts';

let stack: Stack;
let thiefProfile: string;
let thief: BrowserContext;
let checkout: CheckoutApp | undefined;

beforeAll(async () => {
  stack = await startStack();
  thiefProfile = await mkdtemp(join(tmpdir(), 'sluice-chromium-thief-'));
  thief = await chromium.launchPersistentContext(thiefProfile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}, 120_000);
afterAll(async () => {
  await checkout?.close();
  await thief?.close().catch((err: unknown) => void err) /* best-effort cleanup */;
  if (thiefProfile) await rm(thiefProfile, { recursive: true, force: true });
  await stack?.close();
});

/** POST /v1/checkout from the page, with whatever the drop-in gives for that URL. */
function buyFrom(page: Page, url: string): Promise<{ status: number; code?: string }> {
  return page.evaluate(async (u) => {
    const s = (
      window as unknown as { sluice: { proofHeaders(m: string, u: string): Promise<Record<string, string>> } }
    ).sluice;
    const res = await fetch(u, {
      method: 'POST',
      headers: { ...(await s.proofHeaders('POST', u)), 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'SKU-1', qty: 1 }),
    });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
  }, url);
}

describe('tickets bound to the browser that queued', () => {
  it('refuses the ticket replayed from a second browser and lets the first one buy', async () => {
    const { evt, store } = await stack.event({ bindTickets: true });
    const config = loadConfig(checkoutSchema, {
      SLUICE_PREFIX: stack.fx.prefix,
      DATABASE_URL: TEST_DATABASE_URL,
      CHECKOUT_HOST: '127.0.0.1',
      CHECKOUT_PORT: '0',
      JWKS_URL: `${stack.gateUrl}/.well-known/jwks.json`,
      CHECKOUT_CORS_ORIGINS: store.origin,
    });
    checkout = await startCheckout(config, { log: createLogger('checkout-bound-test', 'silent') });
    const buyUrl = `http://127.0.0.1:${checkout.port}/v1/checkout`;

    // The shopper starts at the storefront; sluice.js makes the key and sends them to the queue.
    const page = await stack.browser.newPage();
    await page.goto(store.returnUrl);
    await page.waitForURL((u) => u.origin === stack.pageOrigin, { timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('key')).toMatch(/^[A-Za-z0-9_-]+$/);
    await page.waitForURL((u) => u.origin === store.origin, { timeout: 60_000 });
    // The storefront's own server accepted the ticket with the drop-in's proof.
    await until(() => store.accepted.length > 0, 30_000, 'storefront accepted the ticket');
    const ticket = await page.evaluate((e) => sessionStorage.getItem(`sluice.ticket.${e}`), evt);
    expect(ticket).toBeTruthy();
    const claims = decodeUnverified(ticket!)!.payload as { cnf?: { jkt?: string } };
    expect(claims.cnf?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The private key cannot be read out of the page.
    const extractable = await page.evaluate(async (e) => {
      const db = await new Promise<IDBDatabase>((r) => {
        const q = indexedDB.open('sluice-keys', 1);
        q.onsuccess = () => r(q.result);
      });
      const k = await new Promise<{ privateKey: CryptoKey }>((r) => {
        const q = db.transaction('keys').objectStore('keys').get(e);
        q.onsuccess = () => r(q.result);
      });
      return k.privateKey.extractable;
    }, evt);
    expect(extractable).toBe(false);

    // The ticket copied to another browser (as a link with the fragment): no key there.
    const copy = await thief.newPage();
    // The demo store sends a refused shopper back to the queue after 3 s; keep this page here.
    await copy.addInitScript(() => {
      const later = window.setTimeout;
      window.setTimeout = ((f: () => void, ms?: number) =>
        ms !== undefined && ms >= 3000 ? 0 : later(f, ms)) as typeof setTimeout;
    });
    const before = store.accepted.length;
    await copy.goto(`${store.returnUrl}#sluice_ticket=${encodeURIComponent(ticket!)}`);
    await until(
      async () =>
        (await copy.evaluate(() => document.getElementById('verdict')?.className).catch(() => '')) === 'bad',
      30_000,
      'storefront refusing the copy',
    );
    expect(store.accepted.length).toBe(before);
    expect(await buyFrom(copy, buyUrl)).toEqual({ status: 401, code: 'TICKET_PROOF' });
    // Even with a key of its own (the drop-in makes one on demand), the proof names another key.
    await copy.evaluate(async (e) => {
      const db = await new Promise<IDBDatabase>((r) => {
        const q = indexedDB.open('sluice-keys', 1);
        q.onupgradeneeded = () => q.result.createObjectStore('keys');
        q.onsuccess = () => r(q.result);
      });
      const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ]);
      const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
      await new Promise((r) => {
        const q = db
          .transaction('keys', 'readwrite')
          .objectStore('keys')
          .put({ privateKey: pair.privateKey, jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } }, e);
        q.onsuccess = r;
      });
    }, evt);
    expect(await buyFrom(copy, buyUrl)).toEqual({ status: 401, code: 'TICKET_PROOF' });

    // The browser that queued buys.
    expect(await buyFrom(page, buyUrl)).toEqual({ status: 202 });
    await copy.close();
    await page.close();
  }, 180_000);
});
