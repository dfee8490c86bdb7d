// Closing reservations with finalize-8.lua, up to FINALIZE_CHUNK per script call and one
// pipeline per event: confirmed (units stay sold, the shopper's admission slot is freed), failed
// (units back) or void (expired, no order).
import { eventKeys, pipeScript, type Redis, ignoring } from '@sluice/shared';
import { announceState } from '../events/announce.ts';

/** Reservations closed by one script call (the script refuses more than 500). */
export const FINALIZE_CHUNK = 500;

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
  const out: (FinalizeResult | Error)[] = new Array(items.length);
  const reopened = new Map<string, number>();
  await Promise.all(
    [...byEvent].map(async ([evt, idx]) => {
      const k = eventKeys(prefix, evt);
      const keys = [k.event, k.stock, k.bought, k.reservations, k.reservation, k.voided, k.admitted, k.stats];
      const pipe = redis.pipeline();
      const calls: number[][] = [];
      for (let c = 0; c < idx.length; c += FINALIZE_CHUNK) {
        const chunk = idx.slice(c, c + FINALIZE_CHUNK);
        calls.push(chunk);
        const args = chunk.flatMap((i) => [items[i]!.orderId, items[i]!.outcome]);
        // bounded: two arguments per order of a slice of FINALIZE_CHUNK
        pipeScript(pipe, 'finalize', keys, [now, ...args]);
      }
      let res: [Error | null, unknown][];
      try {
        res = ((await pipe.exec()) ?? []) as [Error | null, unknown][];
      } catch (err) {
        // The whole pipeline failed (connection lost): each of its items reports that error.
        res = calls.map(() => [err as Error, null]);
      }
      calls.forEach((chunk, c) => {
        const [err, reply] = res[c] ?? [new Error('no reply'), null];
        const list = reply as (FinalizeResult | number)[] | null;
        chunk.forEach((i, j) => {
          out[i] = err ?? (list?.[j] as FinalizeResult | undefined) ?? new Error('short finalize reply');
        });
        const version = err || !list ? 0 : Number(list[chunk.length]);
        if (version > 0) reopened.set(evt, Math.max(version, reopened.get(evt) ?? 0));
      });
    }),
  );
  // A lost reopen announcement is caught up by every process's 1 s re-read of the event.
  await Promise.all(
    [...reopened].map(([evt, v]) => announceState(redis, prefix, evt, v, now).catch(ignoring('reopen announcement', { evt, version: v }))),
  );
  return out;
}
