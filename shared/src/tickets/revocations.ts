// Revocation checks for storefront helpers (verifyAdmission, the middlewares): the gate publishes
// each event's revoked ticket ids (`GET /v1/events/:id/revoked`, ids only); a GateRevocations
// polls that list and answers from memory. Cost: one HTTP GET per event per `refreshMs` per
// process (the gate serves it from a 1 s cache), memory for the revoked ids, nothing per request.
// A revocation reaches the storefront within refreshMs + 1 s. Until the first answer arrives —
// or while the gate cannot be reached — the last list known stays in force (none at first:
// `ready()` tells when there is one).

export interface RevocationCheck {
  /** Whether ticket `jti` of event `evt` was revoked. */
  isRevoked(evt: string, jti: string): boolean | Promise<boolean>;
}

export class GateRevocations implements RevocationCheck {
  private readonly lists = new Map<string, { ids: Set<string>; fetchedAt: number }>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly gateUrl: string;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;

  /** @example new GateRevocations('https://gate.example', { refreshMs: 2000 }) */
  constructor(gateUrl: string, opts: { refreshMs?: number; timeoutMs?: number } = {}) {
    this.gateUrl = gateUrl.replace(/\/+$/, '');
    this.refreshMs = opts.refreshMs ?? 2_000;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
  }

  /** Revoked? Answers from the list in memory; refreshes it in the background when older than refreshMs. */
  isRevoked(evt: string, jti: string): boolean {
    const l = this.lists.get(evt);
    // A failed refresh keeps the last list in force and is retried on the next call; callers that
    // need to know (start-up) await refresh() themselves.
    if (!l || Date.now() - l.fetchedAt >= this.refreshMs) void this.refresh(evt).catch(() => undefined);
    return l?.ids.has(jti) ?? false;
  }

  /** Fetch the list of `evt` now (at start-up, so the first requests are checked too). */
  refresh(evt: string): Promise<void> {
    let p = this.inflight.get(evt);
    if (!p) {
      p = (async () => {
        const res = await fetch(`${this.gateUrl}/v1/events/${encodeURIComponent(evt)}/revoked`, {
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (!res.ok) throw new Error(`revocations of ${evt}: gate answered ${res.status}`);
        const body = (await res.json()) as { ids?: unknown };
        if (!Array.isArray(body.ids)) throw new Error(`revocations of ${evt}: no ids list`);
        this.lists.set(evt, {
          ids: new Set(body.ids.filter((x): x is string => typeof x === 'string')),
          fetchedAt: Date.now(),
        });
      })().finally(() => this.inflight.delete(evt));
      this.inflight.set(evt, p);
    }
    return p;
  }

  /** Whether a list of `evt` has been fetched at least once. */
  ready(evt: string): boolean {
    return this.lists.has(evt);
  }
}
