// What the page does when the gate closes its WebSocket, decided from the shared close codes.
import { CloseCode } from '@sluice/shared/protocol/close-codes.ts';
import type { ErrorKey } from './model.ts';

export type CloseDecision =
  /** Reconnect with backoff and the place token. */
  | { do: 'reconnect' }
  /** The place token is no good: forget it and join afresh (with backoff). */
  | { do: 'rejoin' }
  /** The queue has not opened yet: come back when it does. */
  | { do: 'not-open' }
  /** Reconnect later (rate limit): longer backoff and a notice. */
  | { do: 'slow-down' }
  | { do: 'left' }
  | { do: 'final'; screen: 'soldout' | 'closed' }
  | { do: 'fail'; key: ErrorKey };

/**
 * Codes in RECONNECTABLE (gate restart, slow consumer, dropped network) and anything unknown
 * lead to a reconnect with backoff and the place token: keeping the place is the safe default.
 */
export function decideClose(code: number): CloseDecision {
  switch (code) {
    case CloseCode.LEFT:
      return { do: 'left' };
    case CloseCode.SOLD_OUT:
      return { do: 'final', screen: 'soldout' };
    case CloseCode.EVENT_CLOSED:
      return { do: 'final', screen: 'closed' };
    case CloseCode.UNKNOWN_EVENT:
      return { do: 'fail', key: 'errUnknownEvent' };
    // A lane's credential refused, or no such lane: the same join would be refused again.
    case CloseCode.ACCESS_REFUSED:
      return { do: 'fail', key: 'errAccess' };
    case CloseCode.UNKNOWN_LANE:
      return { do: 'fail', key: 'errLane' };
    case CloseCode.PLACE_INVALID:
    case CloseCode.PLACE_EXPIRED:
    case CloseCode.POW_INVALID:
    case CloseCode.KEY_REFUSED:
      return { do: 'rejoin' };
    case CloseCode.NOT_OPEN:
      return { do: 'not-open' };
    case CloseCode.RATE_LIMITED:
      return { do: 'slow-down' };
    default:
      return { do: 'reconnect' };
  }
}
