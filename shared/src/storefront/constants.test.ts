import { expect, it } from 'vitest';
import {
  queuePageUrl,
  readCookie,
  ticketFromFragment,
  ticketFromHeaders,
  withTicketFragment,
} from './constants.ts';

it('puts the ticket in the fragment and reads it back', () => {
  const url = withTicketFragment('https://shop.example/drop?x=1#top', 'a.b-_.c');
  expect(url).toBe('https://shop.example/drop?x=1#sluice_ticket=a.b-_.c');
  expect(ticketFromFragment(new URL(url).hash)).toBe('a.b-_.c');
  expect(ticketFromFragment('#foo=1&sluice_ticket=x.y.z')).toBe('x.y.z');
  expect(ticketFromFragment('#sluice_ticket=')).toBeNull();
  expect(ticketFromFragment('#other=1')).toBeNull();
});

it('reads the ticket from a Bearer header first, then the cookie', () => {
  expect(ticketFromHeaders({ authorization: 'Bearer t1', cookie: 'sluice_ticket=t2' })).toBe('t1');
  expect(ticketFromHeaders({ authorization: 'Basic abc', cookie: 'a=1; sluice_ticket=t2; b=2' })).toBe('t2');
  expect(ticketFromHeaders({})).toBeNull();
  expect(readCookie('x=%E2%9C%93', 'x')).toBe('✓');
  expect(readCookie('x=%E2', 'x')).toBeNull();
});

it('builds the queue page URL with the return URL encoded', () => {
  const u = new URL(
    queuePageUrl('https://cdn.example/queue/', {
      event: 'drop1',
      gate: 'https://gate.example',
      returnUrl: 'https://shop.example/p?a=1&b=2',
    }),
  );
  expect(u.origin + u.pathname).toBe('https://cdn.example/queue/');
  expect(u.searchParams.get('event')).toBe('drop1');
  expect(u.searchParams.get('gate')).toBe('https://gate.example');
  expect(u.searchParams.get('return')).toBe('https://shop.example/p?a=1&b=2');
  expect(u.searchParams.has('mode')).toBe(false);
});
