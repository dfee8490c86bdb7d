// GET /v1/events/:id/products: what is on sale and how many units are left, straight from Redis
// (the dashboard loads the event there from PostgreSQL). Cacheable for a second.
import { type EventConfig, eventKeys, isEventId, type Redis, SluiceError } from '@sluice/shared';
import { guarded } from '../connections.ts';

export interface CatalogueItem {
  sku: string;
  name: string;
  priceCents: number;
  limitPerShopper: number;
  remaining: number;
}

export interface Catalogue {
  event: string;
  state: string;
  products: CatalogueItem[];
}

export async function getCatalogue(redis: Redis, prefix: string, evt: string, timeoutMs: number): Promise<Catalogue> {
  if (!isEventId(evt)) throw new SluiceError('UNKNOWN_EVENT');
  const k = eventKeys(prefix, evt);
  const [[config, state], stock] = await guarded(
    Promise.all([redis.hmget(k.event, 'config', 'state'), redis.hgetall(k.stock)]),
    timeoutMs,
    'catalogue',
  );
  if (!config || !state) throw new SluiceError('UNKNOWN_EVENT');
  const cfg = JSON.parse(config) as EventConfig;
  return {
    event: evt,
    state,
    products: cfg.products.map((p) => ({
      sku: p.sku,
      name: p.name,
      priceCents: p.priceCents,
      limitPerShopper: p.limitPerShopper,
      remaining: Math.max(0, Number(stock[p.sku] ?? 0)),
    })),
  };
}
