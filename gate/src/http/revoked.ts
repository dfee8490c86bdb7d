// The revoked places / tickets of an event, for storefront helpers that check revocations
// (`GET /v1/events/:id/revoked`, shared/src/tickets/revocations.ts): ids only, never the
// `cid:<clientId>` entries (client ids are the browsers' secrets). Built by paging the hash
// (HSCAN) and kept serialised per event for REFRESH_MS, so any number of storefront processes
// polling costs one Redis scan per event per second.
import { eventKeys, type Redis } from '@sluice/shared';

const REFRESH_MS = 1_000;
/** Most ids answered (the newest are not guaranteed beyond this: revocation is for a few). */
export const MAX_REVOKED = 100_000;

export class RevokedCache {
  private readonly entries = new Map<string, { body: string; at: number }>();
  private readonly building = new Map<string, Promise<string>>();
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  async body(evt: string, now: number): Promise<string> {
    const e = this.entries.get(evt);
    if (e && now - e.at < REFRESH_MS) return e.body;
    let p = this.building.get(evt);
    if (!p) {
      p = this.build(evt, now).finally(() => this.building.delete(evt));
      this.building.set(evt, p);
    }
    return p;
  }

  retain(known: (evt: string) => boolean): void {
    for (const evt of this.entries.keys()) if (!known(evt)) this.entries.delete(evt);
  }

  private async build(evt: string, now: number): Promise<string> {
    const key = eventKeys(this.prefix, evt).revoked;
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const id = flat[i] as string;
        if (!id.startsWith('cid:') && ids.length < MAX_REVOKED) ids.push(id);
      }
    } while (cursor !== '0' && ids.length < MAX_REVOKED);
    const body = JSON.stringify({ evt, at: now, ids });
    this.entries.set(evt, { body, at: now });
    return body;
  }
}
