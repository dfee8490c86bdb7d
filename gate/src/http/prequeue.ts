// The published pre-queue (`GET /v1/events/:id/prequeue`): the sorted member list with the seed
// hash and, after the start, the seed. Built by paging the zset (never one unbounded reply) and
// kept serialised per event, so a flood of requests costs one Redis read per event per
// FRESH_MS (after the start the list is frozen and the answer is kept until the state changes).
import { eventKeys, type EventRecord, type Redis } from '@sluice/shared';

const FRESH_MS = 5_000;
const PAGE = 10_000;

interface Entry {
  body: string;
  at: number;
  /** State and seed it was built for: a change (the start reveals the seed) rebuilds it. */
  tag: string;
}

export class PrequeueCache {
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<Entry>>();
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  /** The serialised answer for `rec`'s event at `now`. */
  async body(rec: EventRecord, now: number): Promise<string> {
    const evt = rec.config.id;
    const tag = `${rec.state}|${rec.seed ?? ''}|${rec.version}`;
    const frozen = rec.state !== 'prequeue' && rec.state !== 'scheduled';
    const e = this.entries.get(evt);
    if (e && e.tag === tag && (frozen || now - e.at < FRESH_MS)) return e.body;
    let p = this.building.get(evt);
    if (!p) {
      p = this.build(rec, tag, now).finally(() => this.building.delete(evt));
      this.building.set(evt, p);
    }
    return (await p).body;
  }

  /** Forget events that are gone (called with the known ids). */
  retain(known: (evt: string) => boolean): void {
    for (const evt of this.entries.keys()) if (!known(evt)) this.entries.delete(evt);
  }

  private async build(rec: EventRecord, tag: string, now: number): Promise<Entry> {
    const key = eventKeys(this.prefix, rec.config.id).prequeue;
    const members: string[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = await this.redis.zrange(key, start, start + PAGE - 1);
      members.push(...page);
      if (page.length < PAGE) break;
    }
    members.sort();
    const body = JSON.stringify({
      evt: rec.config.id,
      state: rec.state,
      seedHash: rec.seedHash,
      seed: rec.seed,
      members,
    });
    const entry = { body, at: now, tag };
    this.entries.set(rec.config.id, entry);
    return entry;
  }
}
