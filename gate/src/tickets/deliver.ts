// Hands admitted shoppers their tickets. The admitter publishes the ids it admitted each tick;
// every gate process signs tickets only for the sockets it holds, after one look at the `revoked`
// hash for them (a place revoked between its admission and this message gets no ticket). Ids are
// remembered for a few seconds so a socket that finishes joining just after its admission still
// gets its ticket. A revocation closes the place's socket here at once (REVOKED).
import { type AdmittedMsg, CloseCode, type Logger } from '@sluice/shared';
import type { GateMetrics } from '../http/metrics.ts';
import { type Socket, type SocketRegistry, topicOf } from '../queue/sockets.ts';
import type { TicketIssuer } from './issuer.ts';

const RECENT_MS = 5_000;

export class TicketDelivery {
  private recent = new Map<string, { evt: string; at: number; seen: number }>();
  private readonly sockets: SocketRegistry;
  private readonly issuer: TicketIssuer;
  private readonly ttlOf: (evt: string) => number;
  private readonly log: Logger;
  private readonly metrics: GateMetrics;
  private readonly revokedOf: (evt: string, ids: string[]) => Promise<boolean[]>;
  /** Told each admit message's sequence (the event's admitted total after it): gap detection. */
  onSequence: ((evt: string, seq: number, count: number) => void) | undefined;

  constructor(o: {
    sockets: SocketRegistry;
    issuer: TicketIssuer;
    ttlOf: (evt: string) => number;
    log: Logger;
    metrics: GateMetrics;
    /** Which of `ids` are revoked (one Redis call). */
    revokedOf: (evt: string, ids: string[]) => Promise<boolean[]>;
  }) {
    this.revokedOf = o.revokedOf;
    this.sockets = o.sockets;
    this.issuer = o.issuer;
    this.ttlOf = o.ttlOf;
    this.log = o.log;
    this.metrics = o.metrics;
  }

  /** A message from an event's `admit` channel: `{fence, at, ids, seq}`. */
  onAdmitted(evt: string, raw: string): void {
    let msg: { at: number; ids: string[]; seq?: number };
    try {
      msg = JSON.parse(raw);
    } catch (err) {
      // Only the admitter writes this channel; a malformed message is a bug worth one log line.
      this.log.error({ err, evt, raw: raw.slice(0, 200) }, 'malformed admit message');
      return;
    }
    if (!Array.isArray(msg.ids) || typeof msg.at !== 'number') return;
    if (typeof msg.seq === 'number') this.onSequence?.(evt, msg.seq, msg.ids.length);
    const seen = Date.now();
    const held: [string, Socket][] = [];
    for (const id of msg.ids) {
      const ws = this.sockets.get(evt, id);
      if (!ws) this.recent.set(id, { evt, at: msg.at, seen });
      // A socket already holding its ticket (a re-check or its join delivered it) gets no second one.
      else if (ws.getUserData().phase !== 'admitted') held.push([id, ws]);
    }
    if (held.length) void this.sendUnlessRevoked(evt, held, msg.at);
  }

  /** Places a re-check found admitted (recheck.ts): the same revocation check as a message. */
  async deliverFound(evt: string, found: { id: string; ws: Socket; at: number }[]): Promise<void> {
    const byAt = new Map<number, [string, Socket][]>();
    for (const f of found) {
      const list = byAt.get(f.at) ?? [];
      list.push([f.id, f.ws]);
      byAt.set(f.at, list);
    }
    for (const [at, held] of byAt) await this.sendUnlessRevoked(evt, held, at);
  }

  private async sendUnlessRevoked(evt: string, held: [string, Socket][], at: number): Promise<void> {
    // Claimed now, before the await: a re-check (recheck.ts) running meanwhile must not deliver
    // the same place a second time.
    for (const [, ws] of held) ws.getUserData().phase = 'admitted';
    let revoked: boolean[];
    try {
      revoked = await this.revokedOf(
        evt,
        held.map(([id]) => id),
      );
    } catch (err) {
      // Without the answer, hand no ticket now: the shopper's reconnect (or poll) asks again.
      this.log.warn({ err, evt }, 'reading revocations failed; tickets held back');
      for (const [, ws] of held) if (!ws.getUserData().closed) ws.end(CloseCode.INTERNAL, 'internal error');
      return;
    }
    held.forEach(([id, ws], i) => {
      if (revoked[i]) this.revoke(evt, id);
      else void this.send(ws, evt, id, at);
    });
  }

  /** A place was revoked: close its socket on this process now; it gets no ticket. */
  revoke(evt: string, placeId: string): void {
    this.recent.delete(placeId);
    const ws = this.sockets.get(evt, placeId);
    if (!ws) return;
    const d = ws.getUserData();
    d.left = true; // revoked: nothing to mark absent
    this.sockets.remove(evt, placeId, ws);
    if (!d.closed) ws.end(CloseCode.REVOKED, 'revoked');
  }

  /** After a join completes: was this place admitted while the join was in flight? */
  admittedMeanwhile(evt: string, placeId: string): number | null {
    const r = this.recent.get(placeId);
    return r && r.evt === evt ? r.at : null;
  }

  prune(): void {
    const cutoff = Date.now() - RECENT_MS;
    for (const [id, r] of this.recent) if (r.seen < cutoff) this.recent.delete(id);
  }

  /** Sign and send the ticket of `placeId`, admitted at `admittedAt` (ms). */
  async send(ws: Socket, evt: string, placeId: string, admittedAt: number): Promise<void> {
    const d = ws.getUserData();
    d.phase = 'admitted';
    try {
      // d.jkt is set (bind-key Lua) before the socket is registered when the event binds tickets.
      const { ticket, exp } = await this.issuer.issue(
        evt,
        placeId,
        admittedAt,
        this.ttlOf(evt),
        d.jkt || undefined,
      );
      this.metrics.tickets.inc();
      if (d.closed) return;
      const msg: AdmittedMsg = { t: 'admitted', ticket, exp };
      ws.cork(() => {
        ws.unsubscribe(topicOf(evt));
        if (ws.send(JSON.stringify(msg)) === 2) ws.end(CloseCode.SLOW_CONSUMER, 'slow consumer');
      });
    } catch (err) {
      this.log.error({ err, evt }, 'signing a ticket failed');
      if (!d.closed) ws.end(CloseCode.INTERNAL, 'internal error');
    }
  }
}
