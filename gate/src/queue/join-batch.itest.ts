// Joins that arrive together go to Redis as one join-batch call, and each is judged exactly as
// on its own: a join refused for one shopper (its address over the cap of live places, a proof of
// work already spent, even earlier in the same batch) refuses only that one.
import { eventKeys, setEventState } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../../test/helpers.ts';
import { JoinGuard } from '../abuse/join-guard.ts';
import { JoinBatcher } from './join-batch.ts';
import { type PublicJoin, publicJoin } from './join.ts';
import { newPlaceId } from './place-token.ts';

let fx: RedisFixture;
let evt: string;
beforeEach(async () => {
  fx = await redisFixture();
  evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true })).config.id;
  await setEventState(fx.redis, fx.prefix, evt, 'open');
});
afterEach(async () => {
  await fx.cleanup();
});

const join = (address: string, i: number, pow = ''): PublicJoin => ({
  address,
  cid: `batch-shopper-${String(i).padStart(4, '0')}`,
  resumePlaceId: '',
  placeId: newPlaceId(),
  powId: pow,
  powExp: pow ? Date.now() + 60_000 : 0,
  now: Date.now(),
});

describe('join-batch', () => {
  it('one address over its cap of live places is refused alone; the joins after it in the batch join', async () => {
    const joins = new JoinBatcher(fx.redis, fx.prefix);
    const guard = new JoinGuard({ joinsPerIp: 100, placesPerIp: 2 });
    const order = [
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.1',
      '198.51.100.3',
    ];
    // Sent in one turn: one script call for all six.
    const out = await Promise.all(order.map((a, i) => publicJoin(joins, guard, evt, join(a, i))));
    expect(joins.calls).toBe(1);
    expect(out.map((r) => r.verdict)).toEqual(['ok', 'ok', 'ok', 'ok', 'PLACE_CAP', 'ok']);
    const queue = eventKeys(fx.prefix, evt).queue;
    expect(await fx.redis.zcard(queue)).toBe(5);
    // Numbered in arrival order, the refused one skipped.
    const scores = out.filter((r) => r.join).map((r) => r.join!.score);
    expect(scores).toEqual([1, 2, 3, 4, 5]);
  });

  it('a proof of work spent earlier in the same batch is refused as a replay, only there', async () => {
    const joins = new JoinBatcher(fx.redis, fx.prefix);
    const guard = new JoinGuard({ joinsPerIp: 100, placesPerIp: 100 });
    const out = await Promise.all([
      publicJoin(joins, guard, evt, join('198.51.100.7', 0, 'challenge-a')),
      publicJoin(joins, guard, evt, join('198.51.100.7', 1, 'challenge-a')),
      publicJoin(joins, guard, evt, join('198.51.100.7', 2, 'challenge-b')),
    ]);
    expect(joins.calls).toBe(1);
    expect(out.map((r) => r.verdict)).toEqual(['ok', 'POW_REPLAY', 'ok']);
  });

  it('never sends more than 256 joins in one call', async () => {
    const joins = new JoinBatcher(fx.redis, fx.prefix);
    const guard = new JoinGuard({ joinsPerIp: 1000, placesPerIp: 1000 });
    const out = await Promise.all(
      Array.from({ length: 600 }, (_, i) => publicJoin(joins, guard, evt, join(`198.51.${i % 7}.9`, i))),
    );
    expect(out.every((r) => r.verdict === 'ok' && r.join)).toBe(true);
    expect(joins.calls).toBe(3);
    expect(new Set(out.map((r) => r.join!.placeId)).size).toBe(600);
  });

  it('a join the line refuses throws for that caller only', async () => {
    const joins = new JoinBatcher(fx.redis, fx.prefix);
    const guard = new JoinGuard({ joinsPerIp: 100, placesPerIp: 100 });
    const other = (
      await makeEvent(fx.redis, fx.prefix, {
        queueAll: true,
        prequeueAt: Date.now() + 300_000,
        startAt: Date.now() + 600_000,
      })
    ).config.id;
    const [a, b] = await Promise.allSettled([
      publicJoin(joins, guard, other, join('198.51.100.9', 0)),
      publicJoin(joins, guard, evt, join('198.51.100.9', 1)),
    ]);
    expect(a.status).toBe('rejected');
    expect(b.status === 'fulfilled' && b.value.join?.phase).toBe('queue');
  });
});
