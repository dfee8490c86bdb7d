// The drop-in's fast pass (gate/page/src/fast-pass.ts) against a real gate, run in Node (its
// fetch and WebCrypto are the browser's APIs): when the place is admitted just after the last
// poll, the give-back (`/leave`) cannot free it (an admitted place is not waiting), so without a
// last look the slot stayed held, unused, for the whole ticket lifetime.
import { eventKeys, updateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fastPass } from '../page/src/fast-pass.ts';
import { joinQueue } from '../src/queue/join.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
beforeEach(async () => {
  fx = await redisFixture();
  gate = await testGate(fx.prefix);
});
afterEach(async () => {
  await gate.close();
  await fx.cleanup();
});

describe('fast pass give-back', () => {
  it('uses the ticket of a place admitted between its last poll and its leave', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { alwaysOn: true, startAt: undefined, prequeueAt: undefined, rate: 50, burst: 50, maxActive: 1 });
    const evt = ev.config.id;
    const k = eventKeys(fx.prefix, evt);
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'open');
    // One shopper holds the only slot: the fast pass's place has to wait.
    await joinQueue(fx.redis, fx.prefix, evt, { cid: 'occupant-0001', resumePlaceId: '', now: Date.now() });
    await until(async () => (await fx.redis.zcard(k.admitted)) === 1, 5000, 'occupant admitted');
    let sleeps = 0;
    const sleep = async () => {
      sleeps++;
      if (sleeps < 16) return; // 16 polls (0..3000 ms by 200): after the last one, a slot frees
      const [waiting] = await fx.redis.zrange(k.queue, 0, 0);
      await updateEvent(fx.redis, fx.prefix, evt, { maxActive: 2 });
      await until(async () => waiting !== undefined && (await fx.redis.zscore(k.admitted, waiting)) !== null, 10_000, 'admitted after the last poll');
    };
    const ticket = await fastPass({ gate: gate.http, event: evt, cid: 'fast-pass-shopper-1' }, sleep);
    expect(sleeps).toBe(16);
    // Before: null (sent to the queue page) while its admitted place held the second slot.
    expect(ticket).toBeTruthy();
  }, 30_000);
});
