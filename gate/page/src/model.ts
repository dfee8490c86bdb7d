// The queue page as a pure state machine: messages from the gate (or the polling fallback) and
// link changes go in, a Model comes out. Rendering (view.ts) and I/O (client.ts) stay outside.
import type { EventState, StateFrame, WelcomeMsg } from '@sluice/shared/protocol/ws.ts';

export type Screen =
  | 'connecting'
  | 'countdown'
  | 'waiting'
  | 'admitted'
  | 'left'
  | 'soldout'
  | 'closed'
  | 'error';
export type ErrorKey = 'errUnknownEvent' | 'errOrigin' | 'errConfig' | 'errRateLimited' | 'errGeneric' | 'errAccess' | 'errLane';
export type Link = 'ok' | 'reconnecting' | 'polling';

export interface Model {
  screen: Screen;
  event: EventState | null;
  startAt: number | null;
  placeId: string | null;
  score: number | null;
  /** Events with lanes: the place's lane (its number counts within it). */
  lane: string | null;
  frame: StateFrame | null;
  /** Server clock minus local clock, ms (from the frames' `now`). */
  clockOffsetMs: number;
  /** Ticket numbers between us and the front when we first saw our number: 0 % of the bar. */
  baseline: number | null;
  ticket: { token: string; exp: number } | null;
  error: ErrorKey | null;
  /** Whether the error is final (no retry) or transient (retrying). */
  errorFinal: boolean;
  link: Link;
}

export type Action =
  | { t: 'info'; state: EventState; startAt: number }
  | { t: 'welcome'; msg: Pick<WelcomeMsg, 'placeId' | 'phase' | 'score' | 'lane'> }
  | { t: 'state'; frame: StateFrame; localNow: number }
  | { t: 'place'; score: number; lane?: string }
  | { t: 'admitted'; ticket: string; exp: number }
  | { t: 'link'; link: Link }
  | { t: 'left' }
  | { t: 'final'; screen: 'soldout' | 'closed' }
  | { t: 'error'; key: ErrorKey; final: boolean }
  /** Start over (join again after leaving), keeping what is known about the event. */
  | { t: 'reset' };

export const initialModel: Model = {
  screen: 'connecting',
  event: null,
  startAt: null,
  placeId: null,
  score: null,
  lane: null,
  frame: null,
  clockOffsetMs: 0,
  baseline: null,
  ticket: null,
  error: null,
  errorFinal: false,
  link: 'ok',
};

const FINAL: ReadonlySet<Screen> = new Set(['admitted', 'left', 'soldout', 'closed']);

/** The screen that follows from where the shopper stands and the event's state. */
function screenFor(m: Model): Screen {
  if (m.ticket) return 'admitted';
  if (m.event === 'soldout') return 'soldout';
  if (m.event === 'closed') return 'closed';
  if (m.placeId === null) {
    if (m.error && m.errorFinal) return 'error';
    // Before the queue opens nobody holds a place yet: show the countdown to the start.
    return m.event === 'scheduled' && m.startAt !== null ? 'countdown' : 'connecting';
  }
  if (m.score === null || m.event === 'prequeue' || m.event === 'scheduled') return 'countdown';
  return 'waiting';
}

/** The highest number admitted in the shopper's line: their lane's, for an event with lanes. */
export function servedFor(m: Model): number {
  const lane = m.lane === null ? undefined : m.frame?.lanes?.find((l) => l.id === m.lane);
  return lane ? lane.served : (m.frame?.served ?? 0);
}

function withBaseline(m: Model): Model {
  if (m.baseline !== null || m.score === null || !m.frame || m.frame.st !== 'open') return m;
  return { ...m, baseline: Math.max(1, m.score - servedFor(m)) };
}

export function reduce(m: Model, a: Action): Model {
  if (a.t === 'reset')
    return { ...initialModel, event: m.event, startAt: m.startAt, clockOffsetMs: m.clockOffsetMs };
  // Once admitted, left or the sale is over, nothing a late message says changes the screen.
  if (FINAL.has(m.screen) && a.t !== 'link') return m;
  let next: Model;
  switch (a.t) {
    case 'info':
      next = { ...m, event: a.state, startAt: a.startAt };
      break;
    case 'welcome':
      next = { ...m, placeId: a.msg.placeId, score: a.msg.score, lane: a.msg.lane ?? m.lane, error: null, errorFinal: false };
      break;
    case 'state':
      next = {
        ...m,
        frame: a.frame,
        event: a.frame.st,
        startAt: a.frame.start,
        clockOffsetMs: a.frame.now - a.localNow,
        error: m.errorFinal ? m.error : null,
      };
      break;
    case 'place':
      next = { ...m, score: a.score, lane: a.lane ?? m.lane };
      break;
    case 'admitted':
      next = { ...m, ticket: { token: a.ticket, exp: a.exp } };
      break;
    case 'link':
      return { ...m, link: a.link };
    case 'left':
      return { ...m, screen: 'left', placeId: null, score: null };
    case 'final':
      return { ...m, screen: a.screen, event: a.screen };
    case 'error':
      next = { ...m, error: a.key, errorFinal: a.final };
      if (a.final) return { ...next, screen: 'error' };
      return next;
  }
  next = withBaseline(next);
  return { ...next, screen: screenFor(next) };
}
