// Micro-batched order jobs against the real Redis and BullMQ: one addBulk per event-loop turn,
// job id = order id, duplicates ignored, and every caller answered with its batch.
import { createRedis, type Redis } from '@sluice/shared';
import { type RedisFixture, redisFixture, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrderEnqueuer } from './enqueue.ts';
import { bullPrefix, ORDER_JOB, ORDER_QUEUE, type OrderJobData, orderJobOptions } from './queue.ts';

let fx: RedisFixture;
let conn: Redis;
let queue: Queue<OrderJobData>;
beforeEach(async () => {
  fx = await redisFixture();
  conn = createRedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue<OrderJobData>(ORDER_QUEUE, { connection: conn, prefix: bullPrefix(fx.prefix, 'e1') });
});
afterEach(async () => {
  await queue.close();
  conn.disconnect();
  await fx.cleanup();
});

const job = (orderId: string): OrderJobData => ({
  orderId,
  evt: 'e1',
  sku: 'SKU-1',
  qty: 1,
  jti: `j-${orderId}`,
  sub: `j-${orderId}`,
  unitPriceCents: 100,
  idempotencyKey: null,
  at: 1,
});

const add = (e: OrderEnqueuer, data: OrderJobData) => e.add(ORDER_JOB, data, orderJobOptions(data.orderId));

describe('OrderEnqueuer', () => {
  it('sends the jobs of one turn as one addBulk, with job id = order id', async () => {
    const calls: number[] = [];
    const addBulk = queue.addBulk.bind(queue);
    queue.addBulk = (jobs) => {
      calls.push(jobs.length);
      return addBulk(jobs);
    };
    const e = new OrderEnqueuer(() => queue, 4);
    // Ten adds in one turn: batches of 4, 4 and the 2 left at the end of the turn.
    await Promise.all(Array.from({ length: 10 }, (_, i) => add(e, job(`o${i}`))));
    expect(calls).toEqual([4, 4, 2]);
    const ids = (await queue.getJobs(['waiting'])).map((j) => j.id).sort();
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `o${i}`).sort());
    expect((await queue.getJob('o3'))!.data).toEqual(job('o3'));
    // A replayed order (same id) is not a second job.
    await add(e, job('o3'));
    expect(await queue.getJobCountByTypes('waiting')).toBe(10);
  });

  it('rejects every caller of a batch that did not reach Redis', async () => {
    const e = new OrderEnqueuer(() => queue);
    queue.addBulk = () => Promise.reject(new Error('connection lost'));
    const results = await Promise.allSettled([add(e, job('a')), add(e, job('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
