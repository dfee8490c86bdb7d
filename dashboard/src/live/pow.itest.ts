// The console's proof-of-work figure (issue 13) from the real join counts: joins counted by the
// gate's join guard in Redis raise the difficulty the sample reports once they exceed the event's
// threshold, as the gate's challenges do.
import { createEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { JoinGuard } from '../../../gate/src/abuse/join-guard.ts';
import { publicJoin } from '../../../gate/src/queue/join.ts';
import { JoinBatcher } from '../../../gate/src/queue/join-batch.ts';
import { sampleEvent } from './sampler.ts';

let fx: RedisFixture;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

it('reports the base difficulty, then the surge difficulty while joins per second exceed the threshold', async () => {
  const now = Date.now();
  const evt = 'pow-console';
  await createEvent(fx.redis, fx.prefix, {
    id: evt,
    name: 'pow',
    startAt: now - 1000,
    powDifficulty: 10,
    powSurgeJoinsPerS: 5,
    powSurgeDifficulty: 16,
    products: [{ sku: 'a', name: 'a', priceCents: 1, stock: 1 }],
  });
  const quiet = await sampleEvent(fx.redis, fx.prefix, evt, now, undefined);
  expect(quiet?.sample.pow).toEqual({ joinsPerS: 0, difficulty: 10, surging: false });
  const guard = new JoinGuard({ joinsPerIp: 1000, placesPerIp: 1000 });
  const joins = new JoinBatcher(fx.redis, fx.prefix);
  for (let i = 0; i < 80; i++) {
    await publicJoin(joins, guard, evt, {
      address: `192.0.2.${i}`,
      cid: '',
      resumePlaceId: '',
      placeId: '', // counted only: no admitter runs here to open the event
      powId: '',
      powExp: 0,
      now,
    });
  }
  const busy = await sampleEvent(fx.redis, fx.prefix, evt, now, undefined);
  expect(busy?.sample.pow.surging).toBe(true);
  expect(busy?.sample.pow.difficulty).toBe(16);
  expect(busy?.sample.pow.joinsPerS).toBeGreaterThan(5);
  expect(busy?.sample.cfg).toMatchObject({ powDifficulty: 10, powSurgeJoinsPerS: 5, powSurgeDifficulty: 16 });
});
