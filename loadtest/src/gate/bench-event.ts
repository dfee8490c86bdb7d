// The event the gate benches join: open, release stopped (queueAll) so every socket stays waiting,
// proof of work off (the bench measures the gate's side of a join; its addresses are few and shared).
import { createEvent, eventKeys } from '@sluice/shared';
import { pollUntil, sleep } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';

/** Create `evt`, wait until the admitter has opened it, then let the gates' event caches see it. */
export async function openHoldEvent(s: Stores, evt: string, name: string): Promise<void> {
  const now = Date.now();
  await createEvent(s.redis, s.prefix, {
    id: evt,
    name,
    prequeueAt: now - 2000,
    startAt: now - 1000,
    rate: 0,
    queueAll: true,
    maxActive: 1,
    graceS: 600,
    powDifficulty: 0,
    powSurgeDifficulty: 0,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: 1, limitPerShopper: 1 }],
  });
  await pollUntil(async () => (await s.redis.hget(eventKeys(s.prefix, evt).event, 'state')) === 'open', 30_000, 100);
  await sleep(1500);
}
