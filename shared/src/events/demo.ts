// The demo sale that `npm start` seeds: one product, 1,000 units, opening 30 s after start with a
// pre-queue open from now.
import type { Redis } from '../redis.ts';
import type pg from 'pg';
import { eventKeys } from '../keys.ts';
import { persistEvent } from './db.ts';
import { AUTOPILOT_DEFAULTS } from './autopilot.ts';
import { EVENT_DEFAULTS, type EventConfig } from './model.ts';
import { createEvent } from './store.ts';

export function demoEvent(
  now: number,
  origins: string[],
  returnUrl: string,
  opensInMs = 30_000,
): Omit<EventConfig, 'queueAll'> & { queueAll: false } {
  return {
    id: 'demo',
    name: 'Sluice demo drop',
    prequeueAt: now,
    startAt: now + opensInMs,
    rate: 20,
    burst: 20,
    maxActive: 500,
    overbook: 1.5,
    ticketTtlS: 600,
    graceS: 60,
    powDifficulty: EVENT_DEFAULTS.powDifficulty,
    powSurgeJoinsPerS: EVENT_DEFAULTS.powSurgeJoinsPerS,
    powSurgeDifficulty: EVENT_DEFAULTS.powSurgeDifficulty,
    allowedOrigins: origins,
    returnUrl,
    returnUrls: [],
    queueAll: false,
    // Off until an operator switches it on in the console; bounds fit the demo's 20/s.
    autopilot: { ...AUTOPILOT_DEFAULTS, floor: 5, ceiling: 100, maxStep: 10 },
    // The demo storefront sends plain bearer tickets; bind them per event when it sends proofs.
    bindTickets: false,
    alwaysOn: false,
    lanes: [],
    laneMode: 'shares',
    products: [{ sku: 'SNEAKER-1', name: 'Limited sneaker', priceCents: 12_000, stock: 1000, limitPerShopper: 2 }],
  };
}

/** Replace any previous demo event (its Redis keys) and create it afresh. */
export async function seedDemo(
  redis: Redis,
  pool: pg.Pool,
  prefix: string,
  opts: { now: number; origins: string[]; returnUrl: string; opensInMs?: number },
): Promise<EventConfig> {
  const cfg = demoEvent(opts.now, opts.origins, opts.returnUrl, opts.opensInMs);
  await redis.del(...Object.values(eventKeys(prefix, cfg.id)));
  await pool.query('DELETE FROM orders WHERE event_id = $1', [cfg.id]);
  await persistEvent(pool, cfg);
  const rec = await createEvent(redis, prefix, cfg, opts.now);
  return rec.config;
}
