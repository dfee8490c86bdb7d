// Closing reservations with finalize-8.lua, many per round trip: confirmed (units stay sold,
// the shopper's admission slot is freed), failed (units back) or void (expired, no order).
import { eventKeys, pipeScript, type Redis, ignoring } from '@sluice/shared';
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
  // One pipeline per event: an event's keys share one hash tag (one cluster slot), two events'
  // keys may live on different shards.
  const byEvent = new Map<string, number[]>();
  items.forEach((it, i) => {
    const list = byEvent.get(it.evt);
    if (list) list.push(i);
    else byEvent.set(it.evt, [i]);
  });
  const replies: ([Error | null, unknown] | undefined)[] = new Array(items.length);
  await Promise.all(
    [...byEvent].map(async ([evt, idx]) => {
      const k = eventKeys(prefix, evt);
      const pipe = redis.pipeline();
      for (const i of idx) {
        pipeScript(
          pipe,
          'finalize',
          [k.event, k.stock, k.bought, k.reservations, k.reservation, k.voided, k.admitted, k.stats],
          [items[i]!.orderId, items[i]!.outcome, now],
        );
      }
      try {
        const res = (await pipe.exec()) ?? [];
        idx.forEach((i, j) => {
          replies[i] = res[j] as [Error | null, unknown] | undefined;
        });
      } catch (err) {
        // The whole pipeline failed (connection lost): each of its items reports that error.
        for (const i of idx) replies[i] = [err as Error, null];
      }
    }),
  );
  const reopened = new Map<string, number>();
  const out = items.map((it, i): FinalizeResult | Error => {
    const [err, reply] = replies[i] ?? [new Error('no reply'), null];
    if (err) return err;
    const [result, version] = reply as [FinalizeResult, number];
    if (version > 0) reopened.set(it.evt, Math.max(version, reopened.get(it.evt) ?? 0));
    return result;
  });
  // A lost reopen announcement is caught up by every process's 1 s re-read of the event.
  await Promise.all(
    [...reopened].map(([evt, v]) => announceState(redis, prefix, evt, v, now).catch(ignoring('reopen announcement', { evt, version: v }))),
  );
  return out;
}
