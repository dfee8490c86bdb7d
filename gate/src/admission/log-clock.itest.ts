// The admission log stays verifiable when the bucket clock (Redis TIME, or the admitter's) steps
// back, e.g. after a failover to a node whose clock is behind: the admit Lua never logs a bucket
// clock before the previous one, and the outside checker (shared/src/fairness) refuses a log that
// does (each backwards step would let a dishonest operator refill the bucket once more).
import { chainHash, eventKeys, genesisHash, LogChecker } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, makeEvent, quietLog } from '../../test/helpers.ts';
import { joinQueue } from '../queue/join.ts';
import { Admitter } from './admitter.ts';

let fx: RedisFixture;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('admission log and a bucket clock that steps back', () => {
  it('an honest log passes the checker and releases no more than the rate over wall time', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 10, burst: 5, startAt: clock.now() - 1, prequeueAt: clock.now() - 1 }, clock.now());
    const evt = ev.config.id;
    const a = new Admitter({
      redis: fx.redis,
      prefix: fx.prefix,
      id: 'a1',
      now: clock.now,
      bucketClock: clock.now,
      tickMs: 250,
      leaderTtlMs: 60_000,
      log: quietLog,
      eventIds: () => [evt],
    });
    await a.tickEvent(evt); // scheduled → open
    for (let i = 0; i < 200; i++) await joinQueue(fx.redis, fx.prefix, evt, { cid: `c${i}`, resumePlaceId: '', now: clock.now() });
    let admitted = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 8; i++) {
        clock.advance(250);
        admitted += (await a.tickEvent(evt))!.admitted.length;
      }
      clock.advance(-2000); // the clock steps back by what the round advanced
    }
    // 6 s of clock in all, but only 2 s of it ever new: the bucket (5) plus 2 s × 10/s at most.
    expect(admitted).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(5 + 20);
    const lines = await fx.redis.lrange(eventKeys(fx.prefix, evt).log, 0, -1);
    const c = new LogChecker(evt);
    let h = genesisHash(evt);
    lines.forEach((e, i) => {
      c.add({ i, prev: h, e });
      h = chainHash(h, e);
    });
    expect(c.finish({ evt, n: lines.length, hash: h, at: 0 }).problems).toEqual([]);
  });
});
