// sluice.handBack() in Debian's Chromium against the real gate and a real checkout: after the
// shop hands the slot back, the drop-in no longer holds the (now dead) ticket, so the next page
// view does not treat the shopper as admitted with a ticket checkout refuses (TICKET_USED).
import { checkoutSchema, eventKeys, loadConfig, updateEvent } from '@sluice/shared';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { type Stack, startStack, until } from './e2e/stack.ts';

let stack: Stack;
let checkout: CheckoutApp | undefined;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await checkout?.close();
  await stack?.close();
});

describe('hand-back from the storefront', () => {
  it('frees the slot and forgets the ticket', async () => {
    const { evt, store } = await stack.event({ alwaysOn: true, startAt: undefined, prequeueAt: undefined, rate: 50, burst: 50, maxActive: 100 });
    await updateEvent(stack.fx.redis, stack.fx.prefix, evt, { allowedOrigins: [stack.pageOrigin, store.origin] });
    await until(() => stack.gate.ctx.events.get(evt)?.config.allowedOrigins.includes(store.origin), 10_000, 'origin applied');
    checkout = await startCheckout(
      loadConfig(checkoutSchema, {
        REDIS_URL: TEST_REDIS_URL,
        DATABASE_URL: TEST_DATABASE_URL,
        SLUICE_PREFIX: stack.fx.prefix,
        LOG_LEVEL: 'silent',
        CHECKOUT_HOST: '127.0.0.1',
        CHECKOUT_PORT: '0',
        CHECKOUT_CORS_ORIGINS: store.origin,
        JWKS_URL: `${stack.gateUrl}/.well-known/jwks.json`,
      }),
    );
    const checkoutUrl = `http://127.0.0.1:${checkout.port}`;
    const page = await stack.browser.newPage();
    await page.goto(store.returnUrl);
    await until(() => store.accepted.length > 0, 30_000, 'straight through with a ticket');
    const k = eventKeys(stack.fx.prefix, evt);
    expect(await stack.fx.redis.zcard(k.admitted)).toBe(1);
    const r = await page.evaluate(
      async ([url, e]) => {
        const s = (window as unknown as { sluice: { handBack(u: string): Promise<boolean>; ticket: string | null } }).sluice;
        const ok = await s.handBack(url);
        return { ok, held: s.ticket, stored: sessionStorage.getItem(`sluice.ticket.${e}`) };
      },
      [checkoutUrl, evt] as const,
    );
    expect(r.ok).toBe(true);
    expect(await stack.fx.redis.zcard(k.admitted)).toBe(0);
    // Before: both still held the ticket checkout now refuses.
    expect(r.held).toBeNull();
    expect(r.stored).toBeNull();
    await page.close();
  }, 90_000);
});
