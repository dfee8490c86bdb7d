// Public joins of one event that arrive in the same event-loop turn go to Redis together: one
// join-batch script call (join-batch-n.lua, at most JOIN_BATCH_MAX joins) instead of one join-14
// call each. Inside, each join runs exactly as its own join-14 call would, in arrival order, and
// gets its own reply: a join refused (address over its limits, a replayed proof of work, a bad
// credential) refuses only that one. Each EVALSHA has a fixed cost in Redis (and each command one
// in ioredis): a surge's joins share it.
import { addressPlacesKey, joinKeys, type Redis, runScript } from '@sluice/shared';

/** Joins per script call (its arguments and reply stay bounded: 3,585 values in, 2,560 out). */
export const JOIN_BATCH_MAX = 256;

/** join-14.lua's reply: {code, placeId, phase, score, resumed, admittedAt, n, pn, w, lane}. */
export type JoinReply = [number, string, string, string, number, string, number, number, number, string];

interface Pending {
  address: string;
  args: readonly (string | number)[];
  resolve: (r: JoinReply) => void;
  reject: (err: unknown) => void;
}

export class JoinBatcher {
  private pending = new Map<string, Pending[]>();
  private scheduled = false;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly max: number;
  /** Script calls made and joins sent (metrics, tests). */
  calls = 0;
  joins = 0;

  constructor(redis: Redis, prefix: string, max = JOIN_BATCH_MAX) {
    this.redis = redis;
    this.prefix = prefix;
    this.max = Math.max(1, Math.min(max, JOIN_BATCH_MAX));
  }

  /**
   * One join-14 call's worth: `address` is the client address key ('' = none: unguarded), `args`
   * its ARGV 1..13 (fewer: the rest are ''). Resolves with that call's reply.
   */
  join(evt: string, address: string, args: readonly (string | number)[]): Promise<JoinReply> {
    return new Promise<JoinReply>((resolve, reject) => {
      let q = this.pending.get(evt);
      if (!q) {
        q = [];
        this.pending.set(evt, q);
      }
      q.push({ address: address || 'unknown', args, resolve, reject });
      if (q.length >= this.max) {
        this.pending.delete(evt);
        this.send(evt, q);
      } else if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every join that arrived with this one is queued.
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const [evt, q] of batches) this.send(evt, q);
  };

  private send(evt: string, q: Pending[]): void {
    const first = q[0]!.address;
    const keys = joinKeys(this.prefix, evt, first);
    const slot = new Map<string, number>([[first, 11]]);
    const args: (string | number)[] = [q.length];
    for (const p of q) {
      let k = slot.get(p.address);
      if (k === undefined) {
        keys.push(addressPlacesKey(this.prefix, evt, p.address));
        k = keys.length;
        slot.set(p.address, k);
      }
      args.push(k);
      for (let i = 0; i < 13; i++) args.push(p.args[i] ?? '');
    }
    this.calls++;
    this.joins += q.length;
    runScript<(JoinReply | ['ERR', string])[]>(this.redis, 'join-batch', keys, args).then(
      (replies) => {
        for (const [i, p] of q.entries()) {
          const r = replies[i];
          if (!r) p.reject(new Error('join-batch: reply missing'));
          else if (r[0] === 'ERR') p.reject(new Error(`join script failed: ${r[1]}`));
          else p.resolve(r as JoinReply);
        }
      },
      (err: unknown) => {
        for (const p of q) p.reject(err);
      },
    );
  }
}
