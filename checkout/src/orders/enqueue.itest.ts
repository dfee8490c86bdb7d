// Micro-batched order entries against the real Redis: one pipeline of XADDs per event-loop turn
// and event, each entry carrying its order, and every caller answered with its batch.
import { createRedis, eventKeys, type Redis } from '@sluice/shared';
import { type RedisFixture, redisFixture, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrderEnqueuer } from './enqueue.ts';
import { type OrderJobData, OrderStreams, parseOrderEntry } from './queue.ts';

let fx: RedisFixture;
let conn: Redis;
let streams: OrderStreams;
beforeEach(async () => {
  fx = await redisFixture();
  conn = createRedis(TEST_REDIS_URL);
  streams = new OrderStreams(conn, fx.prefix);
});
afterEach(async () => {
  conn.disconnect();
  await fx.cleanup();
});

const job = (orderId: string, evt = 'e1'): OrderJobData => ({
  orderId,
  evt,
  sku: 'SKU-1',
  qty: 1,
  jti: `j-${orderId}`,
  sub: `j-${orderId}`,
  unitPriceCents: 100,
  idempotencyKey: null,
  at: 1,
});

const entries = async (evt: string) =>
  (await conn.xrange(eventKeys(fx.prefix, evt).orders, '-', '+')).map(([, f]) => parseOrderEntry(f));

describe('OrderEnqueuer', () => {
  it('sends the orders of one turn as one pipeline per event, in order', async () => {
    const calls: [string, number][] = [];
    const e = new OrderEnqueuer((evt, orders) => {
      calls.push([evt, orders.length]);
      return streams.addMany(evt, orders);
    }, 4);
    // Ten adds to e1 and one to e2 in one turn: batches of 4, 4 and what is left at the end of the turn.
    await Promise.all([...Array.from({ length: 10 }, (_, i) => e.add(job(`o${i}`))), e.add(job('x', 'e2'))]);
    expect(calls).toEqual([
      ['e1', 4],
      ['e1', 4],
      ['e1', 2],
      ['e2', 1],
    ]);
    expect(await entries('e1')).toEqual(Array.from({ length: 10 }, (_, i) => job(`o${i}`)));
    expect(await entries('e2')).toEqual([job('x', 'e2')]);
  });

  it('rejects every caller of a batch that did not reach Redis', async () => {
    const e = new OrderEnqueuer(() => Promise.reject(new Error('connection lost')));
    const results = await Promise.allSettled([e.add(job('a')), e.add(job('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
