// After a failover or a Redis restart: check an event's stock against PostgreSQL and the open
// reservations before it admits or sells again. A promoted replica or a Redis reloaded from its
// AOF may miss the last writes (a decrement, a returned unit); until this check passes, admit-11
// and purchase-8 refuse on that Redis incarnation (node-1.lua). Outcomes, recorded in the event
// hash (`guard`, JSON) and logged: verified (nothing lost), repaired (stock set to what the
// orders and reservations say), stopped (more units sold than stock, or a product PostgreSQL does
// not know: the event is paused for an operator; it stays unverified).
import { eventKeys, type Logger, type Pool, publishControl, readNode, type Redis } from '@sluice/shared';
import { readDatabaseSide, type ReconcileRow, stockRows } from './check.ts';

export type GuardAction = 'verified' | 'repaired' | 'stopped';

export interface GuardOutcome {
  evt: string;
  action: GuardAction;
  /** run_id of the Redis node now serving the event. */
  node: string;
  /** Per product: units left before, and what they were set to (repaired). */
  rows: (ReconcileRow & { expected: number })[];
}

/**
 * Verify `evt` if its Redis incarnation changed; null when nothing was to do. `redis` must be a
 * connection of the guard's own (WATCH is per connection). `now` is read when the stock has been
 * read: just after a failover the first read can wait seconds for the promoted replica, and the
 * record must say when the check was made, not when it was asked for.
 */
export async function guardEvent(redis: Redis, pool: Pool, prefix: string, evt: string, now: () => number): Promise<GuardOutcome | null> {
  const k = eventKeys(prefix, evt);
  for (let attempt = 0; attempt < 10; attempt++) {
    const { recorded, current } = await readNode(redis, prefix, evt);
    // No record: an event from before the guard existed, or gone; nothing to compare with.
    if (!recorded || recorded === current) return null;
    // Redis side first, under WATCH: a finalize or an operator's stock change in between makes
    // the write below fail and the check start over.
    // Stopped on this incarnation already: it waits for an operator, not for another pause.
    const last = await redis.hget(k.event, 'guard');
    if (last) {
      const g = JSON.parse(last) as { node?: string; action?: string };
      if (g.action === 'stopped' && g.node === current) return null;
    }
    await redis.watch(k.stock, k.reservation, k.event);
    const [stock, reservations] = await Promise.all([redis.hgetall(k.stock), redis.hgetall(k.reservation)]);
    const db = await readDatabaseSide(pool, evt);
    const known = new Set(db.products.map((p) => p.sku));
    const rows = stockRows(stock, reservations, db).map((r) => ({
      ...r,
      expected: r.initial - r.reserved - r.sold,
    }));
    // A product PostgreSQL does not know (an event never persisted) cannot be checked: stopping
    // is safer than setting its stock to what an empty record implies (0).
    const stop = rows.some((r) => r.expected < 0 || !known.has(r.sku));
    const action: GuardAction = stop ? 'stopped' : rows.every((r) => r.left === r.expected) ? 'verified' : 'repaired';
    const at = now();
    const record = JSON.stringify({ at, node: current, was: recorded, action, rows });
    const tx = redis.multi();
    if (stop) {
      tx.hset(k.event, 'state', 'paused', 'guard', record).hincrby(k.event, 'version', 1);
    } else {
      for (const r of rows) if (r.left !== r.expected) tx.hset(k.stock, r.sku, r.expected);
      tx.hset(k.event, 'node', current, 'guard', record);
    }
    const res = await tx.exec();
    if (res === null) continue; // a watched key changed: read again
    if (stop) {
      const version = Number(res.at(-1)?.[1] ?? 0);
      await publishControl(redis, prefix, { evt, kind: 'state', version, at });
    }
    return { evt, action, node: current, rows };
  }
  await redis.unwatch();
  throw new Error(`stock of ${evt} kept changing during the check`);
}

/** Check every event every `everyMs`; log each outcome once. Returns a stop function. */
export function startGuard(
  deps: { redis: Redis; pool: Pool; prefix: string; log: Logger; listEvents: () => Promise<string[]> },
  everyMs: number,
  now: () => number,
  onOutcome?: (o: GuardOutcome) => void,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const round = async () => {
    for (const evt of await deps.listEvents()) {
      try {
        const o = await guardEvent(deps.redis, deps.pool, deps.prefix, evt, now);
        if (!o) continue;
        onOutcome?.(o);
        if (o.action === 'stopped') {
          // Said once per incarnation (guardEvent skips an event it stopped on this node).
          deps.log.error({ evt, node: o.node, rows: o.rows }, 'stock check after a Redis failover/restart: more sold than stock; event paused');
        } else {
          deps.log.warn({ evt, node: o.node, action: o.action, rows: o.rows }, `stock check after a Redis failover/restart: ${o.action}`);
        }
      } catch (err) {
        deps.log.warn({ err, evt }, 'stock check after a Redis failover/restart failed; retrying');
      }
    }
  };
  const timer = setInterval(() => {
    running ??= round()
      .catch((err) => deps.log.warn({ err }, 'stock guard round failed'))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
