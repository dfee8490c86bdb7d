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

export class EventCache {
  readonly events = new Map<string, EventRecord>();
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
    if (rec) this.events.set(evt, rec);
    else this.events.delete(evt);
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
