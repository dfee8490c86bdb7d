// What a public join must pass, counted over every gate process inside the join Lua (join-14.lua,
// the same atomic call that joins): the per-address join rate (fixed 10 s window), revocation of
// the place / client id, single use of the proof-of-work challenge, and the cap of live places per
// client address (IPv4 address or IPv6 /64). A process also keeps its own rate count first, so a
// flood from one address is shed locally without a Redis call once this process alone has seen
// the limit. The replies carry the event's join counts, from which this process estimates joins
// per second for the automatic proof-of-work difficulty.
import { JOIN_WINDOW_MS, joinsPerSecond, type JoinWindow, LuaCode } from '@sluice/shared';

/** A fixed window per client address, in this process's memory. */
export class IpLimiter {
  private readonly counts = new Map<string, number>();
  private windowStart = 0;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(limit: number, windowMs = JOIN_WINDOW_MS) {
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

export type GuardVerdict = 'ok' | 'RATE_LIMITED' | 'POW_REPLAY' | 'PLACE_CAP' | 'REVOKED';

/**
 * The guard's part of a public join: the per-address limits, counted over every gate process
 * inside the join Lua itself (one call per join). This process keeps its own rate count first, and
 * the event's join counts from the replies (joins per second, automatic proof-of-work difficulty).
 */
export class JoinGuard {
  private readonly local: IpLimiter;
  readonly limit: number;
  readonly placesPerIp: number;
  private readonly windows = new Map<string, JoinWindow>();

  constructor(o: { joinsPerIp: number; placesPerIp: number }) {
    this.limit = o.joinsPerIp;
    this.placesPerIp = o.placesPerIp;
    this.local = new IpLimiter(o.joinsPerIp);
  }

  /** Count one join from `address` in this process; false when it alone has seen the limit. */
  takeLocally(address: string, now: number): boolean {
    return this.local.take(address, now);
  }

  /** The guard's arguments of the join Lua (ARGV 5..10) for a join from `address`. */
  args(address: string, powId: string, powExp: number): (string | number)[] {
    return [address || 'unknown', JOIN_WINDOW_MS, this.limit, powId, powExp, this.placesPerIp];
  }

  /** The event's join counts of a join reply (`w` 0: none). */
  observe(evt: string, w: number, n: number, pn: number): void {
    if (w > 0) this.windows.set(evt, { w, n, pn });
  }

  /** This process's latest estimate of the event's joins per second (0 when it saw none lately). */
  joinsPerSecond(evt: string, now: number): number {
    const j = this.windows.get(evt);
    return j ? joinsPerSecond(j, now) : 0;
  }
}

/** Lua codes of the guard's refusals. */
export const GUARD_VERDICTS: Record<number, Exclude<GuardVerdict, 'ok'>> = {
  [LuaCode.JOIN_RATE]: 'RATE_LIMITED',
  [LuaCode.POW_REPLAY]: 'POW_REPLAY',
  [LuaCode.PLACE_CAP]: 'PLACE_CAP',
  [LuaCode.REVOKED]: 'REVOKED',
  [LuaCode.BAD_ARGS]: 'RATE_LIMITED',
};
