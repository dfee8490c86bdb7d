// Negative return codes of the Lua scripts, mapped to the error catalog in one table.
import type { ErrorCode } from '../protocol/errors.ts';

export const LuaCode = {
  NOT_LEADER: -1,
  UNKNOWN_EVENT: -2,
  EVENT_NOT_OPEN: -3,
  EVENT_CLOSED: -4,
  SOLD_OUT: -5,
  TICKET_USED: -6,
  LIMIT_REACHED: -7,
  UNKNOWN_SKU: -8,
  PLACE_GONE: -9,
  REVOKED: -10,
  BAD_ARGS: -11,
  /** gate: the input changed between read and write (pre-queue grew during the shuffle); recompute */
  STALE: -12,
  /** checkout: this Redis (restarted or promoted) has not had the event's stock verified yet */
  UNVERIFIED: -13,
  /** checkout: qty above the product's per-shopper limit on its own */
  QTY_OVER_LIMIT: -20,
  /** dashboard: a stock change would leave fewer than 0 units */
  STOCK_BELOW_ZERO: -21,
  /** gate (join): too many joins from this client address in the window */
  JOIN_RATE: -30,
  /** gate (join): this proof-of-work challenge was already spent on a join */
  POW_REPLAY: -31,
  /** gate (join): this client address already holds the most live places allowed */
  PLACE_CAP: -32,
  /** gate (join): a client id alone names an admitted place; its ticket needs the place token */
  TOKEN_REQUIRED: -33,
  /** gate (join): the lane needs an access code or invite, and this one is missing, unknown, spent or revoked */
  ACCESS_REFUSED: -40,
  /** checkout: the presented ticket is not one the gate issued (its digest is not on record) */
  TICKET_NOT_ISSUED: -22,
} as const;

export const luaCodeToError: Record<number, ErrorCode> = {
  [LuaCode.UNKNOWN_EVENT]: 'UNKNOWN_EVENT',
  [LuaCode.EVENT_NOT_OPEN]: 'EVENT_NOT_OPEN',
  [LuaCode.EVENT_CLOSED]: 'EVENT_NOT_OPEN',
  [LuaCode.SOLD_OUT]: 'SOLD_OUT',
  [LuaCode.TICKET_USED]: 'TICKET_USED',
  [LuaCode.LIMIT_REACHED]: 'LIMIT_REACHED',
  [LuaCode.UNKNOWN_SKU]: 'UNKNOWN_SKU',
  [LuaCode.REVOKED]: 'TICKET_REVOKED',
  [LuaCode.BAD_ARGS]: 'BAD_REQUEST',
  [LuaCode.UNVERIFIED]: 'UNAVAILABLE',
  [LuaCode.QTY_OVER_LIMIT]: 'QTY_OUT_OF_RANGE',
  [LuaCode.TICKET_NOT_ISSUED]: 'TICKET_SIGNATURE',
  [LuaCode.STOCK_BELOW_ZERO]: 'INVALID_FIELD',
  [LuaCode.ACCESS_REFUSED]: 'ACCESS_REFUSED',
};
