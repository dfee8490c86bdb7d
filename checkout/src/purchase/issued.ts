// The tickets the gate issued, in this process's memory, per event: the digests the gate
// publishes on the event's `issued` channel as it records them (shared/src/tickets/record.ts),
// backfilled from the `ticket-hash` record, plus the revoked ids. Checkout's door
// (uws-route.ts) refuses a ticket whose digest is not among them without reading the body or
// calling Redis. The set is a filter, never a verdict that admits: a ticket found here still
// goes through the purchase script, which compares the full digest and checks revocation.
//
// Nobody issued a moment ago is refused: a ticket's digest is published before the gate hands
// the ticket out, so it was published before the request reached us; a miss waits for a PING on
// the subscriber connection (Redis delivers messages and replies on one connection in order),
// and only a digest still missing after that reply is junk. Until an event's record is read
// whole after a (re)subscription, its tickets take the full path. On a Redis Cluster the barrier
// is an echo on the event's own sharded channel instead (issued-cluster.ts).
import { Cluster, eventKeys, globalKeys, type Logger, type Redis, type Subscriber } from '@sluice/shared';
import { ClusterDoor } from './issued-cluster.ts';
import { EventIds } from './issued-events.ts';
import { PingBarrier } from './issued-ping.ts';

export { keyOfDigest, keyOfSha256 } from './issued-keys.ts';

import { keyOfDigest } from './issued-keys.ts';

export class EventView {
  /** 30-bit prefixes of issued digests (a false hit only sends junk down the full path). */
  readonly issued = new Set<number>();
  /** Revoked jti / place ids. */
  readonly revoked = new Set<string>();
  synced = false;
  /** Cluster: ClusterDoor.sync runs for it. */
  syncing = false;
}

export interface IssuedOptions {
  /** Most events watched at once (each costs a subscription and ~16 B per issued ticket). */
  maxEvents?: number;
  /** A barrier PING not answered within this is a failure (the held requests take the full path). */
  barrierTimeoutMs?: number;
  /** Most requests waiting for one barrier; past it they take the full path. */
  maxWaiting?: number;
  /**
   * Least time between two barrier PINGs: under a junk flood the requests arriving meanwhile
   * share the next one (a PING per event-loop turn cost more than the rest of a refusal).
   */
  barrierSpacingMs?: number;
}

type Waiter = (ok: boolean) => void;
const HSCAN_COUNT = 1000;
/** How often watched events are checked for deletion (their views then free their memory and slot). */
const SWEEP_MS = 30_000;

export class IssuedTickets {
  private readonly views = new Map<string, EventView>();
  private readonly sweeper: NodeJS.Timeout;
  /** Ids found not to be events, until when (bounded: cleared when it grows past maxEvents × 16). */
  private readonly notEvents = new Map<string, number>();
  /** The barrier on a single Redis (issued-ping.ts). */
  private readonly pings: PingBarrier;
  private epoch = 0;
  private closed = false;
  /** Ids of all events (the `events` set). */
  private readonly eventIds: EventIds;
  private readonly opts: Required<IssuedOptions>;
  private readonly control: string;
  private readonly redis: Redis;
  /** The subscriber connection (tests pause its socket to hold messages back). */
  readonly sub: Subscriber;
  private readonly prefix: string;
  private readonly log: Logger;
  /** On a Redis Cluster: the echo barrier and resubscription (null: PING on the one connection). */
  private readonly cluster: ClusterDoor<EventView> | null = null;

  constructor(redis: Redis, sub: Subscriber, prefix: string, log: Logger, opts: IssuedOptions = {}) {
    this.redis = redis;
    this.sub = sub;
    this.prefix = prefix;
    this.log = log;
    this.sweeper = setInterval(() => {
      this.sweep().catch((err) => this.log.warn({ err }, 'checking watched events failed'));
    }, SWEEP_MS);
    this.sweeper.unref();
    this.opts = { maxEvents: 256, barrierTimeoutMs: 1000, maxWaiting: 20_000, barrierSpacingMs: 2, ...opts };
    this.control = globalKeys(prefix).control;
    const { barrierTimeoutMs: timeoutMs, maxWaiting, barrierSpacingMs: spacingMs } = this.opts;
    this.pings = new PingBarrier(sub, { timeoutMs, maxWaiting, spacingMs, epoch: () => this.epoch });
    this.eventIds = new EventIds(redis, prefix, log, this.opts.barrierTimeoutMs, this.opts.maxWaiting);
    sub.onMessage((channel, message) => this.onMessage(channel, message));
    // A lost connection may have lost messages: every event is read again once ioredis has
    // re-subscribed (it re-sends the subscriptions before 'ready'; the PING in resync orders us
    // after them).
    sub.client.on('close', () => this.invalidate());
    sub.client.on('ready', () => {
      this.listenControl();
      if (this.cluster) this.cluster.changed();
      else for (const [evt, v] of this.views) this.resync(evt, v);
    });
    if (sub.client instanceof Cluster) {
      const { barrierTimeoutMs: timeoutMs, maxWaiting } = this.opts;
      const [views, epoch, invalidate] = [this.views, () => this.epoch, () => this.invalidate()];
      const backfill = (evt: string, v: EventView, e: number) => this.backfill(evt, v, e);
      const host = { redis, sub, log, prefix, timeoutMs, maxWaiting, views, epoch, invalidate, backfill };
      this.cluster = new ClusterDoor(sub.client, host);
    }
  }

  /** Every view incomplete from now (read whole again before the door judges by it). */
  private invalidate(): void {
    this.epoch++;
    for (const v of this.views.values()) v.synced = false;
  }

  private controlHeard = false;

  /** Revocations come on the control channel (subscribed once ready; ioredis re-subscribes after). */
  private listenControl(): void {
    if (this.controlHeard || this.closed) return;
    this.controlHeard = true;
    this.sub.subscribe(this.control).catch((err) => {
      this.controlHeard = false; // the next 'ready' retries; the purchase script reads `revoked` anyway
      this.log.warn({ err }, 'control channel not subscribed');
    });
  }

  start(): void {
    if (this.sub.client.status === 'ready') this.listenControl();
  }

  /** The event's view once it is complete; otherwise starts watching it (bounded) and answers undefined. */
  view(evt: string, now: number): EventView | undefined {
    const v = this.views.get(evt);
    if (v) return v.synced ? v : undefined;
    if (this.views.size < this.opts.maxEvents && !this.closed && (this.notEvents.get(evt) ?? 0) < now) {
      this.watch(evt, now);
    }
    return undefined;
  }

  private watch(evt: string, now: number): void {
    const v = new EventView();
    this.views.set(evt, v);
    const k = eventKeys(this.prefix, evt);
    void (async () => {
      // Only real events are watched: a ticket naming anything else costs one EXISTS per 5 s.
      if ((await this.redis.exists(k.event)) === 0) {
        this.views.delete(evt);
        if (this.notEvents.size > this.opts.maxEvents * 16) this.notEvents.clear();
        this.notEvents.set(evt, now + 5000);
        return;
      }
      if (this.cluster) return this.cluster.sync(evt, v, true);
      await this.sub.ssubscribe(k.issuedChannel);
      await this.backfill(evt, v, this.epoch);
    })().catch((err) => {
      this.views.delete(evt); // retried by the next ticket for it
      this.log.warn({ err, evt }, 'watching issued tickets failed');
    });
  }

  private resync(evt: string, v: EventView): void {
    const epoch = this.epoch;
    void (async () => {
      await this.sub.client.ping();
      await this.backfill(evt, v, epoch);
    })().catch((err) => this.log.warn({ err, evt }, 'reading issued tickets again failed'));
  }

  /** Read the whole record (HSCAN, pages of 1,000) into the view; complete unless the connection dropped meanwhile. */
  private async backfill(evt: string, v: EventView, epoch: number): Promise<void> {
    const k = eventKeys(this.prefix, evt);
    for (const [key, add] of [
      [k.ticketHash, (_f: string, d: string) => this.addDigest(v, d)],
      [k.revoked, (f: string) => v.revoked.add(f)],
    ] as const) {
      let cursor = '0';
      do {
        const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', HSCAN_COUNT);
        for (let i = 0; i + 1 < flat.length; i += 2) add(flat[i]!, flat[i + 1]!);
        cursor = next;
      } while (cursor !== '0');
    }
    if (epoch === this.epoch && this.views.get(evt) === v) v.synced = true;
  }

  private addDigest(v: EventView, digest: string): void {
    const key = keyOfDigest(digest);
    if (key >= 0) v.issued.add(key);
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.control) {
      if (!message.includes('"kind":"revoke"')) return;
      try {
        const m = JSON.parse(message) as { evt?: unknown; id?: unknown };
        if (typeof m.evt === 'string' && typeof m.id === 'string') this.views.get(m.evt)?.revoked.add(m.id);
      } catch {
        // Not a message we act on; the purchase script reads `revoked` anyway.
      }
      return;
    }
    if (!channel.endsWith(':issued') || this.cluster?.heard(channel, message)) return;
    const open = channel.indexOf(':{');
    const close = channel.lastIndexOf('}:');
    const v = open >= 0 && close > open ? this.views.get(channel.slice(open + 2, close)) : undefined;
    if (!v) return;
    let from = 0;
    while (from < message.length) {
      let to = message.indexOf(',', from);
      if (to < 0) to = message.length;
      this.addDigest(v, message.slice(from, to));
      from = to + 1;
    }
  }

  /**
   * Call `done(true)` once every message published before now has been applied (one PING on the
   * subscriber connection, shared by all requests waiting meanwhile: issued-ping.ts); `done(false)` when that
   * cannot be known (connection lost, slow, too many waiting): the caller takes the full path.
   */
  barrier(done: Waiter, evt?: string): void {
    if (this.closed) done(false);
    // A PING orders nothing on a cluster: the echo on the event's own channel (issued-cluster.ts).
    else if (this.cluster) {
      if (evt === undefined) done(false);
      else this.cluster.barrier(evt, done);
    } else this.pings.wait(done);
  }

  /** Whether `evt` was among the events at the last read of the `events` set (undefined: not read yet). */
  isEvent(evt: string): boolean | undefined {
    return this.eventIds.has(evt);
  }

  /** Read the `events` set again, then `done(true)`; `done(false)` if it could not be (EventIds.refresh). */
  refreshEvents(done: Waiter): void {
    if (this.closed) done(false);
    else this.eventIds.refresh(done);
  }

  /** Events watched and whether each is complete (tests, metrics). */
  status(): Record<string, { synced: boolean; issued: number; revoked: number }> {
    const out: Record<string, { synced: boolean; issued: number; revoked: number }> = {};
    for (const [evt, v] of this.views)
      out[evt] = { synced: v.synced, issued: v.issued.size, revoked: v.revoked.size };
    return out;
  }

  /**
   * Stop watching events whose hash is gone (deleted events): their views free their memory and
   * their place among maxEvents. One pipeline of EXISTS per call; run every 30 s.
   */
  async sweep(): Promise<void> {
    const evts = [...this.views.keys()];
    if (evts.length === 0 || this.closed) return;
    const pipe = this.redis.pipeline();
    for (const evt of evts) pipe.exists(eventKeys(this.prefix, evt).event);
    const replies = (await pipe.exec()) ?? [];
    for (let i = 0; i < evts.length; i++) {
      const [err, n] = replies[i] ?? [new Error('no reply')];
      if (err || n !== 0) continue; // kept: unknown is not gone
      const evt = evts[i]!;
      this.views.delete(evt);
      this.sub.sunsubscribe(eventKeys(this.prefix, evt).issuedChannel).catch((e) => {
        this.log.warn({ err: e, evt }, 'unsubscribing a deleted event failed'); // its messages find no view
      });
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.closed = true;
    this.cluster?.close();
    this.pings.close();
    this.eventIds.close();
    this.sub.close();
  }
}
