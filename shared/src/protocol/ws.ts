// WebSocket messages between a shopper's page and the gate: JSON text frames with a `t` field.
// Documented for outsiders in gate/PROTOCOL.md. Frames are kept small: the state frame is sent
// to every waiting socket on every tick.

export const EVENT_STATES = ['scheduled', 'prequeue', 'open', 'paused', 'soldout', 'closed'] as const;
export type EventState = (typeof EVENT_STATES)[number];

/** Messages a client sends. */
export const ClientMsg = {
  /** First message on a socket: join, or resume with a place token. */
  JOIN: 'join',
  /** Ask for the exact number of people ahead (rate-limited). */
  RANK: 'rank',
  /** Leave the queue now; the place is freed. */
  LEAVE: 'leave',
  /** Keep-alive; answered with `pong`. */
  PING: 'ping',
} as const;
export type ClientMsgType = (typeof ClientMsg)[keyof typeof ClientMsg];

/** Messages the gate sends. */
export const ServerMsg = {
  WELCOME: 'welcome',
  STATE: 'state',
  PLACE: 'place',
  RANK: 'rank',
  ADMITTED: 'admitted',
  ERROR: 'error',
  PONG: 'pong',
} as const;
export type ServerMsgType = (typeof ServerMsg)[keyof typeof ServerMsg];

export interface JoinMsg {
  t: 'join';
  /** Place token from an earlier `welcome`; resumes that place. */
  place?: string;
  /** Stable random id of this browser (localStorage); one place per id and event. */
  cid?: string;
  /** Proof-of-work solution when the event asks for one. */
  pow?: { challenge: string; nonce: string };
  /** Events with lanes: the lane to join (default: the first lane open to anyone). */
  lane?: string;
  /** A single-use access code, for a lane with `access: 'code'`. */
  code?: string;
  /** A signed invite token (EdDSA compact JWS), for a lane with `access: 'invite'`. */
  invite?: string;
  /**
   * Public JWK (P-256 or Ed25519) of a non-extractable key this browser made; events with
   * `bindTickets` require it and bind the place and its ticket to it (`cnf.jkt`).
   */
  jwk?: { kty: string; crv: string; x: string; y?: string };
}
export interface RankMsg {
  t: 'rank';
}
export interface LeaveMsg {
  t: 'leave';
}
export interface PingMsg {
  t: 'ping';
}
export type ClientMessage = JoinMsg | RankMsg | LeaveMsg | PingMsg;

/** Where a place stands. */
export type Phase = 'prequeue' | 'queue' | 'admitted';

export interface WelcomeMsg {
  t: 'welcome';
  evt: string;
  placeId: string;
  /** Token to resume this place later (keep it in sessionStorage). */
  place: string;
  phase: Phase;
  /** Ticket number in the line; null while in the pre-queue (assigned by the shuffle). */
  score: number | null;
  /** True when this join resumed an existing place. */
  resumed: boolean;
  /** Events with lanes: the place's lane (`score` counts within it); absent once admitted. */
  lane?: string;
}

/**
 * The public state of an event, broadcast once per tick to every waiting socket and served
 * (cacheable) at GET /v1/events/:id/status. A client computes its own position from it:
 * ahead ≈ (myScore - served - 1) × density, wait ≈ (myScore - served) / scoreRate.
 */
export interface StateFrame {
  t: 'state';
  evt: string;
  st: EventState;
  /** Highest ticket number admitted so far. */
  served: number;
  /** Highest ticket number handed out so far. */
  tail: number;
  /** Shoppers waiting in the line (plus pre-queue). */
  len: number;
  /** Ticket numbers advanced per second (smoothed): the speed of the line. */
  rate: number;
  /** Shoppers admitted per second (smoothed). */
  adm: number;
  /** Configured release rate, shoppers per second. */
  cfg: number;
  /** Sale start time (ms since epoch). */
  start: number;
  /** SHA-256 (hex) of the pre-queue shuffle seed, published when the pre-queue opens. */
  seedHash: string | null;
  /** The seed itself, revealed at the start. */
  seed: string | null;
  /** Server time (ms) of this frame, for clock offset. */
  now: number;
  /** Tick counter of the admitter. */
  tick: number;
  /** Events with lanes: each lane's own numbers and speed (a shopper's `score` is a lane number). */
  lanes?: LaneState[];
}

/** One lane in the state frame (events with lanes): its own numbers, shoppers waiting, speed. */
export interface LaneState {
  id: string;
  /** Highest number of this lane admitted so far. */
  served: number;
  /** Highest number of this lane handed out so far. */
  tail: number;
  /** Shoppers waiting in this lane. */
  len: number;
  /** This lane's numbers advanced per second (expected from the split and the release rate). */
  rate: number;
  /** Strict mode: shoppers waiting in the lanes served before this one (0 in shares mode). */
  before: number;
}

export interface PlaceMsg {
  t: 'place';
  /** Ticket number assigned by the pre-queue shuffle. */
  score: number;
  /** Events with lanes: the lane the number counts in. */
  lane?: string;
}
export interface RankReply {
  t: 'rank';
  ahead: number;
  now: number;
}
export interface AdmittedMsg {
  t: 'admitted';
  /** Signed admission ticket (JWT, EdDSA). */
  ticket: string;
  /** Expiry of the ticket (ms since epoch). */
  exp: number;
}
export interface ErrorMsg {
  t: 'error';
  code: string;
  message: string;
}
export interface PongMsg {
  t: 'pong';
  now: number;
}
export type ServerMessage = WelcomeMsg | StateFrame | PlaceMsg | RankReply | AdmittedMsg | ErrorMsg | PongMsg;

/** WebSocket path of an event's queue. */
export const wsPath = (evt: string): string => `/v1/events/${encodeURIComponent(evt)}/ws`;
