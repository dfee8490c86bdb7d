// Per-address join limit, global over every gate process: a fixed window per event and client
// address counted in Redis (join-limit Lua, one small hash per event). A process also keeps its
// own count first, so a flood from one address is shed locally without a Redis call once this
// process alone has seen more than the limit.
import { eventKeys, type Redis, runScript } from '@sluice/shared';

/** A fixed window per client address, in this process's memory. */
export class IpLimiter {
  private readonly counts = new Map<string, number>();
  private windowStart = 0;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(limit: number, windowMs = 10_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Count one join from `ip` at `now`; false when over the limit. */
  take(ip: string, now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.counts.clear();
      this.windowStart = now;
    }
    const n = (this.counts.get(ip) ?? 0) + 1;
    this.counts.set(ip, n);
    return n <= this.limit;
  }
}

/** The limit every gate process shares: local pre-check, then the count in Redis. */
export class JoinLimiter {
  private readonly local: IpLimiter;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(redis: Redis, prefix: string, limit: number, windowMs = 10_000) {
    this.redis = redis;
    this.prefix = prefix;
    this.limit = limit;
    this.windowMs = windowMs;
    this.local = new IpLimiter(limit, windowMs);
  }

  /** Count one join from `ip` for `evt` at `now`; false when over the limit (all processes). */
  async take(evt: string, ip: string, now: number): Promise<boolean> {
    if (!this.local.take(ip, now)) return false;
    const n = await runScript<number>(
      this.redis,
      'join-limit',
      [eventKeys(this.prefix, evt).joinsByIp],
      [ip || 'unknown', now, this.windowMs],
    );
    return n >= 1 && n <= this.limit;
  }
}
