// This process's view of the events: loaded at boot, re-read on every control message and on a
// 1 s timer (in case a pub/sub message was lost), and reported in the `gates` hash so the
// dashboard can show which version every gate process has applied.
import { hostname } from 'node:os';
import {
  type ControlMessage,
  type EventRecord,
  getEvent,
  globalKeys,
  listEventIds,
  type Logger,
  type Redis,
} from '@sluice/shared';

export type EventChange = (evt: string, rec: EventRecord | null, before: EventRecord | undefined) => void;

export const gateProcessId = (): string => `${hostname()}:${process.pid}`;

/** An id found unknown is not asked for again for this long (the control message of a new
 * event clears it at once). */
export const UNKNOWN_TTL_MS = 5_000;
/** At most this many unknown ids remembered, and this many look-ups of unknown ids in flight. */
const MAX_UNKNOWN = 10_000;
const MAX_LOOKUPS = 32;

export class EventCache {
  readonly events = new Map<string, EventRecord>();
  /** Ids that were not found, with when (negative cache for upgrades to unknown events). */
  private readonly unknown = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<EventRecord | null>>();
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly onChange: EventChange;
  private readonly log: Logger;
  private readonly gateId: string;

  constructor(redis: Redis, prefix: string, log: Logger, onChange: EventChange, gateId = gateProcessId()) {
    this.redis = redis;
    this.gateId = gateId;
    this.prefix = prefix;
    this.log = log;
    this.onChange = onChange;
  }

  get(evt: string): EventRecord | undefined {
    return this.events.get(evt);
  }

  /**
   * An event this process may not know yet (created a moment ago): at most one Redis read per id
   * in flight, none for an id found unknown in the last UNKNOWN_TTL_MS, and 'busy' when too many
   * unknown ids are being looked up at once (a flood of made-up ids costs no Redis work).
   */
  async lookup(evt: string, now: number): Promise<EventRecord | null | 'busy'> {
    const known = this.events.get(evt);
    if (known) return known;
    const at = this.unknown.get(evt);
    if (at !== undefined && now - at < UNKNOWN_TTL_MS) return null;
    const inflight = this.lookups.get(evt);
    if (inflight) return inflight;
    if (this.lookups.size >= MAX_LOOKUPS) return 'busy';
    const p = this.refresh(evt).finally(() => this.lookups.delete(evt));
    this.lookups.set(evt, p);
    const rec = await p;
    if (!rec) {
      if (this.unknown.size >= MAX_UNKNOWN) this.unknown.clear();
      this.unknown.set(evt, now);
    }
    return rec;
  }

  /** Re-read every event (boot and the 1 s timer). */
  async refreshAll(): Promise<void> {
    const ids = await listEventIds(this.redis, this.prefix);
    await Promise.all(ids.map((id) => this.refresh(id)));
    for (const id of [...this.events.keys()]) {
      if (!ids.includes(id)) this.apply(id, null);
    }
  }

  async refresh(evt: string): Promise<EventRecord | null> {
    const rec = await getEvent(this.redis, this.prefix, evt);
    this.apply(evt, rec);
    return rec;
  }

  private apply(evt: string, rec: EventRecord | null): void {
    const before = this.events.get(evt);
    // Reads race (timer vs control message): never go back to an older version.
    if (rec && before && rec.version < before.version) return;
    if (rec) {
      this.events.set(evt, rec);
      this.unknown.delete(evt);
    } else this.events.delete(evt);
    const changed =
      !before !== !rec || (before && rec && (before.version !== rec.version || before.state !== rec.state));
    if (changed) {
      try {
        this.onChange(evt, rec, before);
      } catch (err) {
        this.log.error({ err, evt }, 'applying an event change failed');
      }
    }
  }

  /** Handle one message from the control channel. */
  async onControl(raw: string): Promise<void> {
    let msg: ControlMessage;
    try {
      msg = JSON.parse(raw) as ControlMessage;
    } catch {
      return;
    }
    if (typeof msg.evt !== 'string' || msg.evt === '*') return;
    await this.refresh(msg.evt);
  }

  /** Write this process's applied versions and socket count to the `gates` hash. */
  async report(sockets: number, now: number, keyVersion?: number): Promise<void> {
    const versions: Record<string, number> = {};
    for (const [id, rec] of this.events) versions[id] = rec.version;
    // '*' is the signing key in use, so the console can show a rotation applied everywhere.
    if (keyVersion !== undefined) versions['*'] = keyVersion;
    await this.redis.hset(
      globalKeys(this.prefix).gates,
      this.gateId,
      JSON.stringify({ versions, sockets, at: now }),
    );
  }

  async unreport(): Promise<void> {
    await this.redis.hdel(globalKeys(this.prefix).gates, this.gateId);
  }
}
