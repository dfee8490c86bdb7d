// The sockets this process holds, by event and place, kept minimal: uWS does the fan-out, this
// map only finds the socket of an admitted place (to hand it its ticket) and the pre-queue
// sockets at the start.
import { CloseCode, type Phase } from '@sluice/shared';
import type { WebSocket } from 'uWebSockets.js';

export interface SocketData {
  evt: string;
  ip: string;
  placeId: string;
  phase: Phase | '';
  score: number;
  /** Lane index of the place (events with lanes), else -1. */
  lane: number;
  openedAt: number;
  /** Messages in the current flood window and its start. */
  msgs: number;
  windowAt: number;
  lastRank: number;
  joining: boolean;
  closed: boolean;
  left: boolean;
  /** Thumbprint of the shopper's key when the event binds tickets (put in the ticket as cnf.jkt). */
  jkt: string;
}

export type Socket = WebSocket<SocketData>;

export const topicOf = (evt: string): string => `e:${evt}`;

/** Told when a place gains or loses its socket on this process (liveness: queue/presence.ts). */
export interface HoldListener {
  held(evt: string, placeId: string): void;
  released(evt: string, placeId: string): void;
}

export class SocketRegistry {
  readonly byEvent = new Map<string, Map<string, Socket>>();
  listener: HoldListener | undefined;
  /** Sockets that have not sent their join yet. */
  readonly awaitingJoin = new Set<Socket>();
  open = 0;

  add(evt: string, placeId: string, ws: Socket): void {
    let m = this.byEvent.get(evt);
    if (!m) {
      m = new Map();
      this.byEvent.set(evt, m);
    }
    const prev = m.get(placeId);
    m.set(placeId, ws);
    if (!prev) this.listener?.held(evt, placeId);
    // The same place opened twice on this process (two tabs): the older socket steps aside.
    if (prev && prev !== ws) {
      const d = prev.getUserData();
      d.placeId = '';
      try {
        prev.end(CloseCode.LEFT, 'place resumed on another socket');
      } catch {
        // uWS throws when the socket is already closed: then it has stepped aside by itself.
      }
    }
  }

  /** Remove `ws` if it is still the socket of its place. */
  remove(evt: string, placeId: string, ws: Socket): boolean {
    const m = this.byEvent.get(evt);
    if (!m || m.get(placeId) !== ws) return false;
    m.delete(placeId);
    if (m.size === 0) this.byEvent.delete(evt);
    this.listener?.released(evt, placeId);
    return true;
  }

  get(evt: string, placeId: string): Socket | undefined {
    return this.byEvent.get(evt)?.get(placeId);
  }
}
