// Admitter election: one lease per event in Redis (SET NX PX), renewed every tick. Whoever
// takes a free lease increments the fencing token; the admit and open scripts refuse a call
// whose token is not the current one, so a deposed leader that wakes up late releases nobody.
import { eventKeys, type Redis, runScript } from '@sluice/shared';

export class Lease {
  private readonly redis: Redis;
  private readonly prefix: string;
  readonly id: string;
  private readonly ttlMs: number;
  /** Events this process currently leads → fencing token. */
  readonly held = new Map<string, number>();

  constructor(redis: Redis, prefix: string, id: string, ttlMs: number) {
    this.redis = redis;
    this.prefix = prefix;
    this.id = id;
    this.ttlMs = ttlMs;
  }

  /** Acquire or renew the lease of `evt`; the fencing token, or 0 when another process leads. */
  async acquire(evt: string): Promise<number> {
    const k = eventKeys(this.prefix, evt);
    const fence = Number(await runScript(this.redis, 'lease', [k.leader, k.fence], [this.id, this.ttlMs]));
    if (fence > 0) this.held.set(evt, fence);
    else this.held.delete(evt);
    return fence;
  }

  lost(evt: string): void {
    this.held.delete(evt);
  }

  /** Give up every lease (graceful shutdown) so a successor need not wait for the TTL. */
  async resignAll(): Promise<void> {
    const evts = [...this.held.keys()];
    this.held.clear();
    await Promise.all(
      evts.map((evt) => runScript(this.redis, 'resign', [eventKeys(this.prefix, evt).leader], [this.id])),
    );
  }
}
