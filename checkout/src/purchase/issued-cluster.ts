// The door on a Redis Cluster (issued.ts uses this when its subscriber is an ioredis Cluster).
// An event's `issued` messages come over sharded pub/sub: ioredis keeps one subscriber connection
// per master, and a slot's subscription moves to another connection when the slot changes hands
// (failover, resharding). A PING orders nothing there: on the connection ioredis believes serves
// the slot it can answer while the gate's SPUBLISH goes to the slot's new master.
//
// The barrier is an echo instead: this process SPUBLISHes a marker on the event's own channel
// and waits until it comes back. The marker is published on the slot's master (MULTI with an
// EXISTS, which a replica refuses), where the gate's digests were too (in one pipeline with the
// `ticket-hash` write, which only the master takes); a master runs commands one at a time and
// sends a channel's messages, to its own subscribers or over the cluster bus to its replicas, in
// that order, so once the marker is back every digest published on that channel before it has
// been applied. A marker that does not come back within the timeout (the subscription is not in
// the slot's shard: failing over, resubscribing) is a failed barrier: the full path.
//
// An echo proves the subscription is live now, not that nothing was missed before: every change
// ioredis reports on its sharded subscribers ('-node', '±subscriber', 'subscribersReady', a
// reconnect) makes every view incomplete at once (issued.ts bumps its epoch), and each is read
// whole again once an echo on its channel has come back (`ClusterDoor.sync`), so a digest
// published while the subscription was moving is found by the HSCAN instead.
import { randomBytes } from 'node:crypto';
import { type Cluster, eventKeys, type Logger, type Redis, type Subscriber } from '@sluice/shared';

type Waiter = (ok: boolean) => void;

/** The cluster events after which a sharded subscription may have missed messages. */
export const SHARD_CHANGES = ['-node', '-subscriber', '+subscriber', 'subscribersReady'] as const;

/** What ClusterDoor needs of a view (issued.ts's EventView). */
export interface ShardView {
  synced: boolean;
  /** A `sync` loop is running for it. */
  syncing: boolean;
}

/** What ClusterDoor needs of IssuedTickets. */
export interface ShardHost<V extends ShardView> {
  redis: Redis;
  sub: Subscriber;
  log: Logger;
  prefix: string;
  timeoutMs: number;
  maxWaiting: number;
  /** The watched events (a view dropped from it is no longer synced). */
  views: ReadonlyMap<string, V>;
  epoch(): number;
  /** Bump the epoch, mark every view incomplete. */
  invalidate(): void;
  /** Read the record whole; sets `synced` if the epoch is still `epoch`. */
  backfill(evt: string, v: V, epoch: number): Promise<void>;
}

export class ClusterDoor<V extends ShardView> {
  private readonly echo: ShardEcho;
  private readonly host: ShardHost<V>;
  private resyncTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(client: Cluster, host: ShardHost<V>) {
    this.host = host;
    this.echo = new ShardEcho(host.redis, host.timeoutMs, host.maxWaiting);
    for (const ev of SHARD_CHANGES) client.on(ev, () => this.changed());
  }

  /**
   * A sharded subscription may have moved or lapsed. Every view is incomplete from now (barriers
   * in flight fail: the full path) until `sync` has seen an echo on its channel and read it whole.
   */
  changed(): void {
    this.host.invalidate();
    this.echo.failAll();
    if (this.resyncTimer || this.closed) return;
    // ioredis reports a failover as several changes within a few ms: one pass after them.
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      for (const [evt, v] of this.host.views) void this.sync(evt, v, false);
    }, 50);
  }

  /**
   * (Re)subscribe `evt`'s channel until an echo comes back on it, then read the record whole;
   * retried (every 100 ms → 2 s) until done, the view is dropped or the process closes.
   * `subscribe`: SSUBSCRIBE first (a new view). After a change ioredis re-subscribes by itself;
   * an echo that still fails makes us do it again.
   */
  async sync(evt: string, v: V, subscribe: boolean): Promise<void> {
    if (v.syncing) return;
    v.syncing = true;
    const { host } = this;
    const channel = this.channel(evt);
    try {
      for (let attempt = 0; !this.closed && host.views.get(evt) === v && !v.synced; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** (attempt - 1), 2000)));
        const epoch = host.epoch();
        try {
          if (subscribe) {
            // Drop ioredis's record of the channel first, so retries do not pile up copies of it.
            if (attempt > 0) await this.within(host.sub.sunsubscribe(channel));
            await this.within(host.sub.ssubscribe(channel));
          }
          const heard = await new Promise<boolean>((r) => this.echo.echo(channel, r));
          subscribe = !heard;
          if (heard) await host.backfill(evt, v, epoch);
          else if (attempt % 10 === 9)
            host.log.warn({ evt, attempt }, 'no echo on the issued channel (retrying)');
        } catch (err) {
          subscribe = true;
          if (attempt % 10 === 9)
            host.log.warn({ err, evt }, 'subscribing to issued tickets failed (retrying)');
        }
      }
    } finally {
      v.syncing = false;
    }
  }

  /** `p`, or a rejection after 5 × the barrier's timeout (a reply that never comes must not stall `sync`). */
  private within<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no reply to (S)SUBSCRIBE')), this.host.timeoutMs * 5);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /** The barrier for `evt`: its echo, failed by any change to the subscriptions meanwhile. */
  barrier(evt: string, done: Waiter): void {
    const epoch = this.host.epoch();
    this.echo.echo(this.channel(evt), (ok) => done(ok && epoch === this.host.epoch()));
  }

  private channel(evt: string): string {
    return eventKeys(this.host.prefix, evt).issuedChannel;
  }

  /** A message on an `issued` channel: true if it is a marker (handled), false if digests. */
  heard(channel: string, message: string): boolean {
    return this.echo.heard(channel, message);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.resyncTimer);
    this.echo.failAll();
  }
}

interface Round {
  marker: string;
  batch: Waiter[];
  timer: NodeJS.Timeout;
}

/**
 * Echo barriers, one marker in flight per channel, shared by every request waiting for that
 * channel meanwhile (a junk flood on one event costs one SPUBLISH per round trip). A marker is
 * `~<process id>.<n>`: not a digest (issued.ts ignores it as one; so do older checkouts).
 */
export class ShardEcho {
  private readonly id = `~${randomBytes(9).toString('base64url')}.`;
  private seq = 0;
  private readonly rounds = new Map<string, Round>();
  /** Waiters that came while their channel's marker was out: they need a marker sent after them. */
  private readonly queued = new Map<string, Waiter[]>();
  private waiting = 0;
  private readonly redis: Redis;
  private readonly timeoutMs: number;
  private readonly maxWaiting: number;

  constructor(redis: Redis, timeoutMs: number, maxWaiting: number) {
    this.redis = redis;
    this.timeoutMs = timeoutMs;
    this.maxWaiting = maxWaiting;
  }

  /** `done(true)` once a marker published on `channel` after this call has come back. */
  echo(channel: string, done: Waiter): void {
    if (this.waiting >= this.maxWaiting) {
      done(false);
      return;
    }
    this.waiting++;
    if (!this.rounds.has(channel)) {
      this.send(channel, [done]);
      return;
    }
    const q = this.queued.get(channel);
    if (q) q.push(done);
    else this.queued.set(channel, [done]);
  }

  private send(channel: string, batch: Waiter[]): void {
    const marker = this.id + ++this.seq;
    const timer = setTimeout(() => this.settle(channel, marker, false), this.timeoutMs);
    this.rounds.set(channel, { marker, batch, timer });
    // On the slot's master only: a replica of it would take an SPUBLISH too (and pass it on over
    // the cluster bus, in no order with the master's own messages), but refuses the EXISTS (MOVED,
    // EXECABORT: the barrier fails). The EXISTS names the channel: same slot, no such key.
    this.redis
      .multi()
      .exists(channel)
      .spublish(channel, marker)
      .exec()
      // The receiver count is not checked: it counts the master's own subscribers only, and ours
      // may sit on a replica of it (which the master's messages reach in order too).
      .catch(() => this.settle(channel, marker, false)); // the held requests take the full path
  }

  /** A message on an `issued` channel: true if it is a marker (anyone's), false if digests. */
  heard(channel: string, message: string): boolean {
    if (message.charCodeAt(0) !== 126 /* ~ */) return false;
    if (this.rounds.get(channel)?.marker === message) this.settle(channel, message, true);
    return true;
  }

  private settle(channel: string, marker: string, ok: boolean): void {
    const round = this.rounds.get(channel);
    if (!round || round.marker !== marker) return;
    clearTimeout(round.timer);
    this.rounds.delete(channel);
    this.waiting -= round.batch.length;
    for (const w of round.batch) w(ok);
    const next = this.queued.get(channel);
    if (next) {
      this.queued.delete(channel);
      this.send(channel, next);
    }
  }

  /** Fail every barrier waiting (the subscriptions changed: they would prove nothing). */
  failAll(): void {
    for (const [channel, q] of this.queued) {
      this.queued.delete(channel);
      this.waiting -= q.length;
      for (const w of q) w(false);
    }
    for (const [channel, round] of [...this.rounds]) this.settle(channel, round.marker, false);
  }
}
