// Closing reservations with finalize-8.lua, many per round trip: confirmed (units stay sold,
// the shopper's admission slot is freed), failed (units back) or void (expired, no order).
import { eventKeys, pipeScript, type Redis } from '@sluice/shared';
import { announceState } from '../events/announce.ts';

export type FinalOutcome = 'confirmed' | 'failed' | 'void';
export type FinalizeResult = 'done' | 'voided' | 'gone' | 'live';

export interface FinalizeItem {
  evt: string;
  orderId: string;
  outcome: FinalOutcome;
}

/**
 * Finalise every item in one pipeline. Per item: the script's result, or the Error Redis gave.
 * Events that went from soldout back to open are announced on the control channel.
 */
export async function finalizeMany(
  redis: Redis,
  prefix: string,
  items: readonly FinalizeItem[],
  now: number,
): Promise<(FinalizeResult | Error)[]> {
  if (items.length === 0) return [];
  const pipe = redis.pipeline();
  for (const it of items) {
    const k = eventKeys(prefix, it.evt);
    pipeScript(
      pipe,
      'finalize',
      [k.event, k.stock, k.bought, k.reservations, k.reservation, k.voided, k.admitted, k.stats],
      [it.orderId, it.outcome, now],
    );
  }
  const replies = (await pipe.exec()) ?? [];
  const reopened = new Map<string, number>();
  const out = items.map((it, i): FinalizeResult | Error => {
    const [err, reply] = replies[i] ?? [new Error('no reply'), null];
    if (err) return err;
    const [result, version] = reply as [FinalizeResult, number];
    if (version > 0) reopened.set(it.evt, Math.max(version, reopened.get(it.evt) ?? 0));
    return result;
  });
  await Promise.all([...reopened].map(([evt, v]) => announceState(redis, prefix, evt, v, now).catch(() => {})));
  return out;
}
