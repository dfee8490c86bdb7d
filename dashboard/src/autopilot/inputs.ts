// What the autopilot reads before each decision: one pipeline over the event's own keys (one
// Redis Cluster slot) and the checkout health the dashboard already scrapes for its console.
import { type AutopilotInputs, eventKeys, type Redis } from '@sluice/shared';
import type { CheckoutHealth } from '../live/checkout-latency.ts';

/** Below this many admissions the buy share is too noisy to act on. */
const MIN_ADMITTED_FOR_SHARE = 20;

const n = (v: string | undefined): number => (v === undefined || v === '' ? 0 : Number(v));

export async function readInputs(
  redis: Redis,
  prefix: string,
  evt: string,
  health: CheckoutHealth | null,
): Promise<AutopilotInputs> {
  const k = eventKeys(prefix, evt);
  const res = await redis.pipeline().zcard(k.reservations).hvals(k.stock).zcard(k.admitted).zcard(k.queue).hgetall(k.stats).exec();
  if (!res) throw new Error('autopilot: no reply to the input pipeline');
  for (const [err] of res) if (err) throw err;
  const [backlog, stock, active, waiting, stats] = res.map(([, r]) => r) as [
    number,
    string[],
    number,
    number,
    Record<string, string>,
  ];
  const admitted = n(stats.admittedTotal);
  // Orders finished plus orders still reserved, over everyone ever admitted: who actually buys.
  const bought = n(stats.ordersConfirmed) + n(stats.ordersFailed) + backlog;
  return {
    p99Ms: health?.p99 == null ? null : health.p99 * 1000,
    errorShare: health?.errorShare ?? null,
    backlog,
    stockLeft: stock.reduce((a, b) => a + Math.max(0, Number(b)), 0),
    active,
    waiting,
    buyShare: admitted >= MIN_ADMITTED_FOR_SHARE ? Math.min(1, bought / admitted) : null,
  };
}
