// WebSocket close codes sent by the gate. Clients decide from the code whether to reconnect.
// Documented for outsiders in gate/PROTOCOL.md; a test checks the two agree.

export const CloseCode = {
  /** The shopper left the queue on purpose (after a `leave`). Do not reconnect. */
  LEFT: 4000,
  /** A message was binary, not valid JSON, not an object, or of an unknown type (a text frame
   * that is not UTF-8 is cut off by uWS itself: the client sees 1006). */
  BAD_MESSAGE: 4001,
  /** A message exceeded the size limit (uWS itself may also close with 1009). */
  TOO_LARGE: 4002,
  /** The first message did not arrive in time, or was not a `join`. */
  JOIN_TIMEOUT: 4003,
  /** The event does not exist. */
  UNKNOWN_EVENT: 4004,
  /** The event's queue has not opened yet (before its pre-queue time). Retry later. */
  NOT_OPEN: 4007,
  /** The event is closed: no new places, nobody waiting. */
  EVENT_CLOSED: 4005,
  /** Stock is gone; the queue is over. */
  SOLD_OUT: 4006,
  /** Too many joins from this address; retry after a while. */
  RATE_LIMITED: 4008,
  /** Proof-of-work missing or wrong. Fetch a new challenge and retry. */
  POW_INVALID: 4009,
  /** The place token is malformed, forged, or for another event. Join afresh. */
  PLACE_INVALID: 4010,
  /** The place was dropped (grace period over) or revoked. Join afresh. */
  PLACE_EXPIRED: 4011,
  /** The place or the shopper was revoked by an operator (now, or before this join). The socket
   * is closed at once; no ticket is ever issued for it. Do not reconnect. */
  REVOKED: 4012,
  /** Too many messages from this socket. */
  FLOOD: 4013,
  /** The client did not read its messages; it was dropped to protect the gate. Reconnect. */
  SLOW_CONSUMER: 4014,
  /** The event binds tickets to a key: the join sent no usable public key, or not the key this
   * place was bound to when it first joined (a copied place token). Join afresh with this
   * browser's own key. */
  KEY_REFUSED: 4015,
  /** The lane asked for needs a single-use access code or a signed invite, and none was sent, or
   * the one sent is unknown, already used, revoked or for another lane (one answer for all).
   * Do not reconnect with the same credential. */
  ACCESS_REFUSED: 4016,
  /** The join named a lane the event does not have (or the event has no lane open to anyone). */
  UNKNOWN_LANE: 4017,
  /** The gate process is shutting down. Reconnect (with backoff) and keep the place. */
  GOING_AWAY: 4030,
  /** Internal error. Reconnect with backoff. */
  INTERNAL: 4050,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

/** Close codes after which a client should reconnect with its place token. */
export const RECONNECTABLE: ReadonlySet<number> = new Set([
  CloseCode.GOING_AWAY,
  CloseCode.SLOW_CONSUMER,
  CloseCode.INTERNAL,
  CloseCode.FLOOD,
  1001,
  1006,
  1011,
]);
