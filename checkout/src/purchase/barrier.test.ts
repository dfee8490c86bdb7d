// The door's barrier under a junk flood: requests arriving while a PING is out, or soon after
// one, share the next PING instead of costing one each (a PING per event-loop turn was the
// largest Redis-side cost of a junk refusal), and each still waits for a PING sent after it came.
import { EventEmitter } from 'node:events';
import type { Logger, Redis, Subscriber } from '@sluice/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IssuedTickets } from './issued.ts';

/** A subscriber whose PINGs are counted and answered when the test says. */
function fakeSubscriber() {
  const client = Object.assign(new EventEmitter(), {
    status: 'connecting',
    pings: [] as (() => void)[],
    ping(): Promise<string> {
      return new Promise((resolve) => client.pings.push(() => resolve('PONG')));
    },
  });
  const sub = { client, onMessage: () => {}, close: () => {} } as unknown as Subscriber;
  return { sub, client };
}

const log = { warn: () => {}, error: () => {}, info: () => {} } as unknown as Logger;

afterEach(() => {
  vi.useRealTimers();
});

describe('issued tickets barrier', () => {
  it('sends one PING for the requests that come while one is out or too recent, and answers each after a PING sent after it', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
    });
    const { sub, client } = fakeSubscriber();
    const issued = new IssuedTickets({} as Redis, sub, 'p', log, { barrierSpacingMs: 5 });
    const done: string[] = [];
    issued.barrier((ok) => done.push(`a:${ok}`));
    expect(client.pings).toHaveLength(1); // the first waits for nobody
    for (let i = 0; i < 50; i++) issued.barrier((ok) => done.push(`b${i}:${ok}`));
    expect(client.pings).toHaveLength(1); // a PING is out: the flood waits for the next one
    client.pings[0]!();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual(['a:true']); // the 50 came after the first PING was sent
    expect(client.pings).toHaveLength(1); // the next PING waits for the spacing
    await vi.advanceTimersByTimeAsync(5);
    expect(client.pings).toHaveLength(2);
    client.pings[1]!();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toHaveLength(51);
    expect(done.every((d) => d.endsWith(':true'))).toBe(true);
    issued.close();
  });
});
