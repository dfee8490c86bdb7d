// Admissions a gate missed. Pub/sub is fire-and-forget: a message lost while the subscriber
// reconnects (or a shard fails over) would leave a shopper waiting on an open socket. Three nets,
// all bounded: (1) every admit message carries `seq`, the event's admitted total after it; a jump
// means messages were missed, and this process re-checks all its waiting places of that event;
// (2) on state frames (at most every 500 ms, when `served` moved), a waiting socket whose number
// is at or below `served` should have been admitted already: only those are looked up; (3) every FULL_EVERY_MS, all waiting places are
// re-checked anyway. A look-up is HMGET on `admitted-at` in chunks of CHUNK; a place found there
// gets its ticket with the admission time recorded by the admitter.
import { eventKeys, type Logger, type Redis } from '@sluice/shared';
import type { GateMetrics } from '../http/metrics.ts';
import type { Socket, SocketRegistry } from '../queue/sockets.ts';
import type { TicketDelivery } from './deliver.ts';

const CHUNK = 500;
/**
 * At most one served-based scan per event this often, and only when `served` moved since the
 * last one: the scan walks the event's sockets on this process (measured ~35 ms per 100k sockets
 * on this loaded 2-core machine), so an idle or paused line costs nothing.
 */
const FRAME_CHECK_MS = 500;
/** A place looked up and not admitted is not looked up again by the served check for this long. */
const RECHECK_AFTER_MS = 2000;
export const FULL_EVERY_MS = 10_000;

export interface RecheckDeps {
  redis: Redis;
  prefix: string;
  sockets: SocketRegistry;
  delivery: TicketDelivery;
  log: Logger;
  metrics: GateMetrics;
}

export class AdmissionRecheck {
  private readonly lastSeq = new Map<string, number>();
  private readonly frameCheckAt = new Map<string, number>();
  private readonly scannedServed = new Map<string, number>();
  /**
   * placeId → when the served check last found it not admitted. Only the served check records
   * here (it alone consults it): the periodic and gap checks look at every waiting place, and
   * recording those kept one entry per held socket alive between sweeps (~50 B each).
   */
  private readonly notYet = new Map<string, number>();
  private readonly running = new Set<string>();
  private lastErrorLog = 0;
  private readonly d: RecheckDeps;

  constructor(d: RecheckDeps) {
    this.d = d;
  }

  /** An admit message's sequence: its ids took the event's admitted total to `seq`. */
  onSequence(evt: string, seq: number, count: number): void {
    const last = this.lastSeq.get(evt);
    if (last !== undefined && seq - count > last) {
      this.d.metrics.admitGaps.inc();
      this.d.log.warn({ evt, expected: last, got: seq - count }, 'admit messages missed; re-checking waiting places');
      void this.run(evt, this.waiting(evt), 'gap');
    }
    if (last === undefined || seq > last || seq < last - count) this.lastSeq.set(evt, seq);
  }

  /** A state frame: waiting sockets numbered at or below `served` (their lane's, with lanes) should hold a ticket already. */
  onFrame(evt: string, served: number, now = Date.now(), laneServed?: number[]): void {
    if (now - (this.frameCheckAt.get(evt) ?? 0) < FRAME_CHECK_MS) return;
    if (this.scannedServed.get(evt) === served) return; // nobody admitted since the last scan
    this.frameCheckAt.set(evt, now);
    this.scannedServed.set(evt, served);
    const due = this.waiting(evt).filter((ws) => {
      const d = ws.getUserData();
      // With lanes a place's number counts within its lane: compare with that lane's high mark.
      const upTo = laneServed && d.lane >= 0 ? (laneServed[d.lane] ?? 0) : served;
      if (d.score <= 0 || d.score > upTo) return false;
      const at = this.notYet.get(d.placeId);
      return at === undefined || now - at >= RECHECK_AFTER_MS;
    });
    if (due.length > 0) void this.run(evt, due, 'served');
  }

  /** The safety net: every waiting place of every event. Resolves when those checks are done. */
  full(): Promise<void> {
    const runs = [...this.d.sockets.byEvent.keys()].map((evt) => this.run(evt, this.waiting(evt), 'periodic'));
    const cutoff = Date.now() - RECHECK_AFTER_MS;
    for (const [id, at] of this.notYet) if (at < cutoff) this.notYet.delete(id);
    return Promise.all(runs).then(() => undefined);
  }

  /** Places this process remembers between checks (per-place memory; tests). */
  get remembered(): number {
    return this.notYet.size;
  }

  private waiting(evt: string): Socket[] {
    const out: Socket[] = [];
    for (const ws of this.d.sockets.byEvent.get(evt)?.values() ?? []) {
      const d = ws.getUserData();
      if (d.phase === 'queue' && !d.closed && !d.joining) out.push(ws);
    }
    return out;
  }

  private run(evt: string, sockets: Socket[], why: string): Promise<void> {
    if (sockets.length === 0 || this.running.has(evt)) return Promise.resolve();
    this.running.add(evt);
    return this.check(evt, sockets, why)
      .catch((err) => {
        this.d.metrics.recheckErrors.inc();
        // One line per 10 s at most: during a Redis outage every check fails.
        if (Date.now() - this.lastErrorLog > 10_000) {
          this.lastErrorLog = Date.now();
          this.d.log.warn({ err, evt, why }, 're-checking admissions failed (retried by the next frame or sweep)');
        }
      })
      .finally(() => this.running.delete(evt));
  }

  private async check(evt: string, sockets: Socket[], why: string): Promise<void> {
    const key = eventKeys(this.d.prefix, evt).admittedAt;
    const now = Date.now();
    for (let i = 0; i < sockets.length; i += CHUNK) {
      const chunk = sockets.slice(i, i + CHUNK);
      const ids = chunk.map((ws) => ws.getUserData().placeId);
      const ats = await this.d.redis.hmget(key, ...ids);
      const found: { id: string; ws: Socket; at: number }[] = [];
      chunk.forEach((ws, j) => {
        const d = ws.getUserData();
        const at = ats[j];
        if (at === null || at === undefined) {
          if (why === 'served') this.notYet.set(ids[j]!, now);
          return;
        }
        this.notYet.delete(ids[j]!);
        // Still this place's socket and still waiting (a late admit message may have won).
        if (d.closed || d.phase !== 'queue' || d.placeId !== ids[j]) return;
        this.d.metrics.recovered.inc({ why });
        d.phase = 'admitted'; // claimed now: an admit message arriving meanwhile sends nothing more
        found.push({ id: ids[j]!, ws, at: Number(at) });
      });
      if (found.length > 0) await this.d.delivery.deliverFound(evt, found);
    }
  }
}
