// The published pre-queue (`GET /v1/events/:id/prequeue?offset=&limit=`): the input of the
// shuffle, one bounded page at a time (a million members is ~20 MB of JSON: never one reply,
// never one unbounded Redis call), with the seed hash and, after the start, the seed and the
// digest of the frozen list. Pages are kept serialised per event, offset and limit, so a flood of
// requests costs one Redis read per page per FRESH_MS before the start; from the start the list
// is frozen and a page is kept until the event's state or version changes (bounded LRU), and is
// served with a long public cache lifetime (a CDN in front absorbs the rest).
import { eventKeys, type EventRecord, PREQUEUE_PAGE_MAX, type PrequeuePage, type Redis, SluiceError } from '@sluice/shared';

const FRESH_MS = 5_000;
const DEFAULT_LIMIT = 5000;
/** Serialised pages kept per process (≤ ~64 × 190 KB). */
const MAX_PAGES = 64;

interface Entry {
  body: string;
  at: number;
  /** State, seed and version it was built for: a change (the start reveals the seed) rebuilds it. */
  tag: string;
  frozen: boolean;
}

export interface PrequeueQuery {
  offset: number;
  limit: number;
}

/** `offset` / `limit` from the query string; SluiceError on anything but small integers. */
export function parsePrequeueQuery(offsetRaw: string | undefined, limitRaw: string | undefined): PrequeueQuery {
  const int = (v: string | undefined, field: string, dflt: number, max: number): number => {
    if (v === undefined || v === '') return dflt;
    if (!/^\d{1,9}$/.test(v) || Number(v) > max)
      throw new SluiceError('INVALID_FIELD', { field, message: `${field} must be an integer 0..${max}` });
    return Number(v);
  };
  const limit = int(limitRaw, 'limit', DEFAULT_LIMIT, PREQUEUE_PAGE_MAX);
  if (limit === 0) throw new SluiceError('INVALID_FIELD', { field: 'limit', message: 'limit must be ≥ 1' });
  return { offset: int(offsetRaw, 'offset', 0, 999_999_999), limit };
}

export class PrequeueCache {
  /** Insertion order = age (LRU by re-insertion on a hit). */
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<Entry>>();
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  /** The serialised page of `rec`'s event at `now`, and whether it can no longer change. */
  async page(rec: EventRecord, q: PrequeueQuery, now: number): Promise<{ body: string; frozen: boolean }> {
    const evt = rec.config.id;
    const id = `${evt}|${q.offset}|${q.limit}`;
    const tag = `${rec.state}|${rec.seed ?? ''}|${rec.version}`;
    const e = this.entries.get(id);
    if (e && e.tag === tag && (e.frozen || now - e.at < FRESH_MS)) {
      this.entries.delete(id);
      this.entries.set(id, e);
      return e;
    }
    let p = this.building.get(id);
    if (!p) {
      p = this.build(rec, q, tag, now).finally(() => this.building.delete(id));
      this.building.set(id, p);
    }
    return p;
  }

  /** Forget events that are gone (called with the known ids). */
  retain(known: (evt: string) => boolean): void {
    for (const id of this.entries.keys()) if (!known(id.slice(0, id.indexOf('|')))) this.entries.delete(id);
  }

  private async build(rec: EventRecord, q: PrequeueQuery, tag: string, now: number): Promise<Entry> {
    const evt = rec.config.id;
    const k = eventKeys(this.prefix, evt);
    const res =
      (await this.redis
        .pipeline()
        .hmget(k.event, 'state', 'seed', 'opening', 'prequeueN', 'prequeueDigest', 'prequeueLanes')
        .zcard(k.prequeue)
        .zrange(k.prequeue, q.offset, q.offset + q.limit - 1)
        .exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    const [state, seed, opening, frozenN, digest, laneRuns] = res[0]![1] as (string | null)[];
    const early = state === 'prequeue' || state === 'scheduled';
    const total = frozenN !== null ? Number(frozenN) : (res[1]![1] as number);
    const members = (res[2]![1] as string[]).slice(0, Math.max(0, total - q.offset));
    const end = q.offset + members.length;
    const page: PrequeuePage = {
      evt,
      state: state ?? rec.state,
      seedHash: rec.seedHash,
      seed: early ? null : (seed ?? null),
      frozen: !early || opening !== null,
      total,
      digest: early ? null : (digest ?? null),
      offset: q.offset,
      members,
      next: end < total && members.length > 0 ? end : null,
      ...(laneRuns && !early
        ? { lanes: laneRuns.split(',').map((n, i) => ({ id: rec.config.lanes?.[i]?.id ?? String(i), n: Number(n) })) }
        : {}),
    };
    // Only a page that can no longer change is kept until the state changes: after the start,
    // with the digest recorded (an event opened before digests existed is re-read every 5 s).
    const entry: Entry = { body: JSON.stringify(page), at: now, tag, frozen: page.digest !== null };
    this.entries.set(`${evt}|${q.offset}|${q.limit}`, entry);
    if (this.entries.size > MAX_PAGES) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}
