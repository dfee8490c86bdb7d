// Liveness of this gate process, per event: a heartbeat in the event's `presence` zset and the
// set of places whose socket it holds (`heldKey`). Both are written in batches (a pipeline per
// event every 100 ms, never one call per socket). If the process dies (kill -9), its heartbeat
// lapses and the admitter marks its places absent (admission/reaper.ts), so they are dropped
// after the grace period unless they reconnect to another process.
import { eventKeys, heldKey, type Redis } from '@sluice/shared';

/** A gate whose heartbeat is older than this is taken for dead. */
export const HEARTBEAT_LAPSE_MS = 3000;
const CHUNK = 1000;

export class Presence {
  readonly gate: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private adds = new Map<string, Set<string>>();
  private removes = new Map<string, Set<string>>();
  /** Events this process has written a held set for (to clean up on shutdown). */
  private readonly touched = new Set<string>();

  constructor(redis: Redis, prefix: string, gate: string) {
    this.redis = redis;
    this.prefix = prefix;
    this.gate = gate;
  }

  held(evt: string, placeId: string): void {
    this.removes.get(evt)?.delete(placeId);
    pending(this.adds, evt).add(placeId);
  }

  released(evt: string, placeId: string): void {
    this.adds.get(evt)?.delete(placeId);
    pending(this.removes, evt).add(placeId);
  }

  /**
   * Write the pending changes with a heartbeat for every event in `live` (the events this
   * process holds sockets of) or with changes. One MULTI per event (one slot each). If the
   * heartbeat had to be re-created although this process wrote it before, the admitter took it
   * for dead (a stall longer than the lapse) and emptied its set: every place it still holds is
   * written again (`heldOf`).
   */
  async flush(now: number, live: Iterable<string> = [], heldOf?: (evt: string) => Iterable<string>): Promise<void> {
    const adds = this.adds;
    const removes = this.removes;
    this.adds = new Map();
    this.removes = new Map();
    const evts = new Set([...live, ...adds.keys(), ...removes.keys()]);
    await Promise.all(
      [...evts].map(async (evt) => {
        const k = eventKeys(this.prefix, evt);
        const held = heldKey(this.prefix, evt, this.gate);
        const tx = this.redis.multi();
        const add = [...(adds.get(evt) ?? [])];
        const rem = [...(removes.get(evt) ?? [])];
        // A place this process now holds is present: if the reaper marked it absent between its
        // join (which un-marked it) and this write, for a dead gate that held it before, un-mark it.
        for (let i = 0; i < add.length; i += CHUNK) {
          tx.sadd(held, ...add.slice(i, i + CHUNK));
          tx.zrem(k.absent, ...add.slice(i, i + CHUNK));
        }
        for (let i = 0; i < rem.length; i += CHUNK) tx.srem(held, ...rem.slice(i, i + CHUNK));
        tx.zadd(k.presence, now, this.gate);
        const wasKnown = this.touched.has(evt);
        this.touched.add(evt);
        const res = (await tx.exec()) ?? [];
        const created = Number(res.at(-1)?.[1] ?? 0) === 1;
        if (created && wasKnown && heldOf) for (const pid of heldOf(evt)) pending(this.adds, evt).add(pid);
      }),
    );
  }

  /** Graceful shutdown: this process holds nothing any more (after its sockets are closed). */
  async unregister(): Promise<void> {
    await Promise.all(
      [...this.touched].map((evt) =>
        this.redis
          .multi()
          .del(heldKey(this.prefix, evt, this.gate))
          .zrem(eventKeys(this.prefix, evt).presence, this.gate)
          .exec(),
      ),
    );
  }
}

function pending(m: Map<string, Set<string>>, evt: string): Set<string> {
  let s = m.get(evt);
  if (!s) {
    s = new Set();
    m.set(evt, s);
  }
  return s;
}
