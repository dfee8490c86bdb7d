// Run the demo storefront: `node --import tsx examples/storefront/main.ts`.
// Env: STORE_PORT (8085), STORE_PUBLIC_ORIGIN, GATE_PUBLIC_URL (http://localhost:8080),
// QUEUE_PAGE_URL (<gate>/queue/), JWKS_URL (<gate>/.well-known/jwks.json), TICKET_AUDIENCE,
// TICKET_ISSUER, EVENT_ID (demo), STORE_MODE (fragment | cookie), CHECKOUT_URL (the checkout API as
// this server reaches it, http://127.0.0.1:8081).
import { startStorefront } from './server.ts';

const env = process.env;
const gate = (env.GATE_PUBLIC_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
const queuePageUrl = env.QUEUE_PAGE_URL ?? `${gate}/queue/`;
const store = await startStorefront({
  host: env.STORE_HOST ?? '127.0.0.1',
  port: Number(env.STORE_PORT ?? 8085),
  ...(env.STORE_PUBLIC_ORIGIN ? { publicOrigin: env.STORE_PUBLIC_ORIGIN } : {}),
  jwksUrl: env.JWKS_URL ?? `${gate}/.well-known/jwks.json`,
  audience: env.TICKET_AUDIENCE ?? 'sluice-checkout',
  issuer: env.TICKET_ISSUER ?? 'sluice-gate',
  event: env.EVENT_ID ?? 'demo',
  queuePageUrl,
  gateUrl: gate,
  sluiceJsUrl: new URL('sluice.js', queuePageUrl).toString(),
  mode: env.STORE_MODE === 'cookie' ? 'cookie' : 'fragment',
  checkoutUrl: env.CHECKOUT_URL ?? 'http://127.0.0.1:8081',
});
console.log(`demo storefront at ${store.returnUrl}`);
