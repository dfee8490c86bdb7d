import { CloseCode } from '@sluice/shared/protocol/close-codes.ts';
import { expect, it } from 'vitest';
import { decideClose } from './close-policy.ts';

it('maps the shared close codes to what the page does', () => {
  expect(decideClose(CloseCode.GOING_AWAY)).toEqual({ do: 'reconnect' });
  expect(decideClose(1006)).toEqual({ do: 'reconnect' });
  expect(decideClose(CloseCode.SLOW_CONSUMER)).toEqual({ do: 'reconnect' });
  expect(decideClose(CloseCode.LEFT)).toEqual({ do: 'left' });
  expect(decideClose(CloseCode.SOLD_OUT)).toEqual({ do: 'final', screen: 'soldout' });
  expect(decideClose(CloseCode.EVENT_CLOSED)).toEqual({ do: 'final', screen: 'closed' });
  expect(decideClose(CloseCode.UNKNOWN_EVENT)).toEqual({ do: 'fail', key: 'errUnknownEvent' });
  expect(decideClose(CloseCode.PLACE_EXPIRED)).toEqual({ do: 'rejoin' });
  expect(decideClose(CloseCode.PLACE_INVALID)).toEqual({ do: 'rejoin' });
  expect(decideClose(CloseCode.NOT_OPEN)).toEqual({ do: 'not-open' });
  expect(decideClose(CloseCode.RATE_LIMITED)).toEqual({ do: 'slow-down' });
});
