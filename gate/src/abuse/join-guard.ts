// What a join must pass before the join script, counted over every gate process in one Redis call
// (join-guard Lua): the per-address join rate (fixed 10 s window), revocation of the place / client
// id, single use of the proof-of-work challenge, and the cap of live places per client address
// (IPv4 address or IPv6 /64). A process also keeps its own rate count first, so a flood from one
// address is shed locally without a Redis call once this process alone has seen the limit. The
// replies carry the event's join counts, from which this process estimates joins per second for
// the automatic proof-of-work difficulty.
import {
  addressPlacesKey,
  eventKeys,
  JOIN_WINDOW_MS,
  joinsPerSecond,
  type JoinWindow,
  LuaCode,
  type Redis,
  runScript,
} from '@sluice/shared';

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

const VERDICTS: Record<number, GuardVerdict> = {
  1: 'ok',
  [LuaCode.JOIN_RATE]: 'RATE_LIMITED',
  [LuaCode.POW_REPLAY]: 'POW_REPLAY',
  [LuaCode.PLACE_CAP]: 'PLACE_CAP',
  [LuaCode.REVOKED]: 'REVOKED',
};

export interface GuardRequest {
  /** addressKey of the client. */
  address: string;
  cid: string;
  /** Place id from a verified place token ('' for a new join / resume by client id). */
  resumePlaceId: string;
  /** The id a new place would get (reserved against the address cap). */
  newPlaceId: string;
  /** Proof-of-work challenge to spend ('' when none was required). */
  powId: string;
  powExp: number;
  now: number;
}

export class JoinGuard {
  private readonly local: IpLimiter;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limit: number;
  private readonly placesPerIp: number;
  private readonly windows = new Map<string, JoinWindow>();

  constructor(redis: Redis, prefix: string, o: { joinsPerIp: number; placesPerIp: number }) {
    this.redis = redis;
    this.prefix = prefix;
    this.limit = o.joinsPerIp;
    this.placesPerIp = o.placesPerIp;
    this.local = new IpLimiter(o.joinsPerIp);
  }

  /** Check (and count) one join of `evt`. */
  async check(evt: string, r: GuardRequest): Promise<GuardVerdict> {
    if (!this.local.take(r.address, r.now)) return 'RATE_LIMITED';
    const k = eventKeys(this.prefix, evt);
    const reply = await runScript<number[]>(
      this.redis,
      'join-guard',
      [
        k.joinsByIp,
        k.powUsed,
        addressPlacesKey(this.prefix, evt, r.address || 'unknown'),
        k.ident,
        k.queue,
        k.prequeue,
        k.admitted,
        k.revoked,
      ],
      [
        r.address || 'unknown',
        r.now,
        JOIN_WINDOW_MS,
        this.limit,
        r.powId,
        r.powExp,
        r.resumePlaceId ? '' : r.newPlaceId,
        this.placesPerIp,
        r.cid,
        r.resumePlaceId,
        RESERVATION_HOLD_MS,
      ],
    );
    const [code, n, pn, w] = reply.map(Number) as [number, number, number, number];
    if (w > 0) this.windows.set(evt, { w, n, pn });
    return VERDICTS[code] ?? 'RATE_LIMITED';
  }

  /** This process's latest estimate of the event's joins per second (0 when it saw none lately). */
  joinsPerSecond(evt: string, now: number): number {
    const j = this.windows.get(evt);
    return j ? joinsPerSecond(j, now) : 0;
  }
}

/** A place reserved against the address cap counts this long before its join has written it. */
const RESERVATION_HOLD_MS = 10_000;
