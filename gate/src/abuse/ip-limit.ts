// Per-address join limit: a fixed window per client address, in this process's memory (each
// gate process counts its own joins, so N processes allow up to N × the limit per address in
// the worst case; the kernel spreads one client's connections over processes).
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
