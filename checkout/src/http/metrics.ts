// Checkout metrics: latency and outcome of every checkout, by error code (never by shopper).
import { createRegistry, prom } from '@sluice/shared';

export function createCheckoutMetrics() {
  const registry = createRegistry('checkout');
  return {
    registry,
    checkoutSeconds: new prom.Histogram({
      name: 'sluice_checkout_duration_seconds',
      help: 'Time to answer POST /v1/checkout, by outcome code',
      labelNames: ['code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    inFlight: new prom.Gauge({
      name: 'sluice_checkout_in_flight',
      help: 'Checkouts being handled now',
      registers: [registry],
    }),
    unreplicated: new prom.Counter({
      name: 'sluice_checkout_unreplicated_total',
      help: 'Purchases answered 202 before a replica confirmed them (WAIT timed out: the shard has no live replica)',
      registers: [registry],
    }),
    doorRefusals: new prom.Counter({
      name: 'sluice_checkout_door_refusals_total',
      help: 'Checkouts refused from their headers alone (no body read, no Redis call), by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    httpErrors: new prom.Counter({
      name: 'sluice_checkout_http_errors_total',
      help: 'Error answers of the checkout API, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  };
}

export type CheckoutMetrics = ReturnType<typeof createCheckoutMetrics>;
