// The admitter's side of liveness: gates whose heartbeat in the event's `presence` zset lapsed
// (see queue/presence.ts) get their held places marked absent, a bounded batch per Lua call and
// a bounded number of calls per tick, so a dead gate's 100,000 places are marked within a few
// seconds without any one long call.
import { eventKeys, heldKey, type Redis, runScript } from '@sluice/shared';

export const REAP_BATCH = 2000;
/** Reap calls per event per tick (2,000 × 10 = 20,000 places per tick). */
export const REAP_CALLS_PER_TICK = 10;

/** Mark the places of lapsed gates absent; returns how many were marked this tick. */
export async function reapLapsedGates(
  redis: Redis,
  prefix: string,
  evt: string,
  now: number,
  lapseMs: number,
): Promise<number> {
  const k = eventKeys(prefix, evt);
  const cutoff = now - lapseMs;
  const dead = await redis.zrangebyscore(k.presence, '-inf', `(${cutoff}`, 'LIMIT', 0, 5);
  let marked = 0;
  let calls = 0;
  for (const gate of dead) {
    const keys = [k.presence, heldKey(prefix, evt, gate), k.absent, k.admittedAt];
    for (; calls < REAP_CALLS_PER_TICK; calls++) {
      const [n, left] = (await runScript<number[]>(redis, 'reap', keys, [gate, cutoff, REAP_BATCH])).map(
        Number,
      );
      if (n! < 0) break;
      marked += n!;
      if (left === 0) break;
    }
  }
  return marked;
}
