// The admitter against the real Redis, driven by a fake clock: FIFO order, the shuffle at the
// start, the release rate over 20 s, maxActive and stock caps, pause, fencing.
import { eventKeys, runScript, setEventState, shuffleOrder, updateEvent } from '@sluice/shared';
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

function admitter(clock: { now: () => number }, evt: string, id = 'a1') {
  return new Admitter({
    redis: fx.redis,
    prefix: fx.prefix,
    id,
    now: clock.now,
    bucketClock: clock.now,
    tickMs: 250,
    leaderTtlMs: 2000,
    log: quietLog,
    eventIds: () => [evt],
  });
}

async function joinMany(evt: string, n: number, now: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await joinQueue(fx.redis, fx.prefix, evt, { cid: `c${i}`, resumePlaceId: '', now })).placeId);
  return ids;
}

describe('admitter', () => {
  it('admits in FIFO order after the start (zero inversions)', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(
      fx.redis,
      fx.prefix,
      { rate: 50, burst: 5, startAt: clock.now() - 1, prequeueAt: clock.now() - 1 },
      clock.now(),
    );
    const a = admitter(clock, ev.config.id);
    await a.tickEvent(ev.config.id); // scheduled → open
    const joined = await joinMany(ev.config.id, 300, clock.now());
    const order: string[] = [];
    for (let i = 0; i < 40 && order.length < 300; i++) {
      clock.advance(250);
      const t = await a.tickEvent(ev.config.id);
      order.push(...t!.admitted);
    }
    expect(order).toEqual(joined);
    const scores = await Promise.all(
      order.map((id) => fx.redis.hget(eventKeys(fx.prefix, ev.config.id).admittedAt, id)),
    );
    expect(scores.every((s) => s !== null)).toBe(true);
  });

  it('shuffles the pre-queue at the start with the committed seed, reproducibly', async () => {
    const clock = fakeClock();
    const start = clock.now() + 10_000;
    const ev = await makeEvent(
      fx.redis,
      fx.prefix,
      { prequeueAt: clock.now(), startAt: start, rate: 1000, burst: 1000 },
      clock.now(),
    );
    const evt = ev.config.id;
    const a = admitter(clock, evt);
    await a.tickEvent(evt);
    expect(await fx.redis.hget(eventKeys(fx.prefix, evt).event, 'state')).toBe('prequeue');
    const early = await joinMany(evt, 50, clock.now());
    clock.set(start);
    const t = await a.tickEvent(evt); // 50 fit in one chunk: open within this tick
    expect(t!.frame.st).toBe('open');
    const seed = t!.frame.seed!;
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(seed).digest('hex')).toBe(ev.seedHash);
    // The admitted order is the shuffled order, recomputable from the member list and the seed.
    expect(t!.admitted).toEqual(shuffleOrder(early, seed));
    expect(t!.admitted).not.toEqual(early);
    // Later joiners come after the pre-queue.
    const late = await joinQueue(fx.redis, fx.prefix, evt, {
      cid: 'late',
      resumePlaceId: '',
      now: clock.now(),
    });
    expect(late.score).toBe(51);
  });

  it('admits rate × time + burst over a 20 s window (±2%)', async () => {
    const clock = fakeClock();
    const rate = 37;
    const burst = 15;
    const ev = await makeEvent(fx.redis, fx.prefix, { rate, burst }, clock.now());
    const evt = ev.config.id;
    await joinMany(evt, 0, clock.now());
    const k = eventKeys(fx.prefix, evt);
    // 2,000 waiting shoppers (more than the window can admit).
    const pipe = fx.redis.pipeline();
    for (let i = 1; i <= 2000; i++) pipe.zadd(k.queue, i, `p${i}`);
    pipe.set(k.seq, 2000);
    await pipe.exec();
    const a = admitter(clock, evt);
    let total = 0;
    const published: number[] = [];
    for (let ms = 0; ms <= 20_000; ms += 250) {
      const t = await a.tickEvent(evt);
      total += t!.admitted.length;
      published.push(t!.frame.rate);
      clock.advance(250);
    }
    // While the bucket limits the release the published line speed is the configured rate
    // (nobody left the line, so one ticket number per shopper): the wait shown falls steadily.
    expect(new Set(published.slice(1))).toEqual(new Set([rate]));
    const expected = rate * 20 + burst;
    expect(Math.abs(total - expected) / expected).toBeLessThanOrEqual(0.02);
    expect(Number(await fx.redis.hget(k.stats, 'admittedTotal'))).toBe(total);
  });

  it('never exceeds maxActive nor stock × overbook; a finished checkout or an expired ticket frees a slot', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(
      fx.redis,
      fx.prefix,
      {
        rate: 1000,
        burst: 1000,
        maxActive: 30,
        overbook: 1.5,
        ticketTtlS: 60,
        products: [{ sku: 'A', name: 'A', priceCents: 1, stock: 100, limitPerShopper: 1 }],
      },
      clock.now(),
    );
    const evt = ev.config.id;
    const k = eventKeys(fx.prefix, evt);
    await admitter(clock, evt).tickEvent(evt);
    await joinMany(evt, 200, clock.now());
    const a = admitter(clock, evt);
    for (let i = 0; i < 10; i++) {
      clock.advance(250);
      await a.tickEvent(evt);
      expect(await fx.redis.zcard(k.admitted)).toBeLessThanOrEqual(30);
    }
    expect(await fx.redis.zcard(k.admitted)).toBe(30);
    // Checkout finishes 5 orders: 5 slots free; stock drops to 20 units → cap 30 by overbook.
    const done = await fx.redis.zrange(k.admitted, 0, 4);
    await fx.redis.zrem(k.admitted, ...done);
    await fx.redis.hset(k.stock, 'A', 20);
    clock.advance(250);
    expect((await a.tickEvent(evt))!.admitted).toHaveLength(5);
    await fx.redis.hset(k.stock, 'A', 10); // cap 15 < 30 active: nobody
    clock.advance(250);
    expect((await a.tickEvent(evt))!.admitted).toHaveLength(0);
    expect(await fx.redis.zcard(k.admitted)).toBe(30);
    // Tickets expire after 60 s: the slots free up, capped again by stock × overbook.
    clock.advance(61_000);
    expect((await a.tickEvent(evt))!.admitted).toHaveLength(15);
  });

  it('releases nobody while paused or queue-all, and applies a rate change on the next tick', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 8, burst: 2 }, clock.now());
    const evt = ev.config.id;
    const a = admitter(clock, evt);
    await a.tickEvent(evt);
    await joinMany(evt, 300, clock.now());
    clock.advance(1000);
    // Capped by the bucket, max(burst 2, one tick 8/s × 250 ms) = 2, though 1 s passed.
    expect((await a.tickEvent(evt))!.admitted.length).toBe(2);
    await setEventState(fx.redis, fx.prefix, evt, 'paused');
    clock.advance(1000);
    const paused = await a.tickEvent(evt);
    expect(paused!.admitted).toHaveLength(0);
    expect(paused!.frame.st).toBe('paused');
    await setEventState(fx.redis, fx.prefix, evt, 'open');
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: true });
    clock.advance(1000);
    expect((await a.tickEvent(evt))!.admitted).toHaveLength(0);
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false, rate: 100, burst: 100 });
    clock.advance(1000);
    // The new rate applies on the next tick: 1 s × 100/s, which is also the burst.
    expect((await a.tickEvent(evt))!.admitted.length).toBe(100);
  });

  it('keeps the token bucket on Redis time by default: a frozen admitter clock still releases', async () => {
    const clock = fakeClock(Date.now());
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 40, burst: 40 }, clock.now());
    const evt = ev.config.id;
    const k = eventKeys(fx.prefix, evt);
    const a = new Admitter({
      redis: fx.redis,
      prefix: fx.prefix,
      id: 'redis-time',
      now: clock.now, // frozen: only Redis TIME moves
      tickMs: 250,
      leaderTtlMs: 2000,
      log: quietLog,
      eventIds: () => [evt],
    });
    await a.tickEvent(evt);
    await joinMany(evt, 500, clock.now());
    // Empty the bucket as of Redis now, then let 600 ms of real time pass: a tick that late
    // releases what accrued (≈ 24), which the admitter's own (frozen) clock would never give.
    const [sec, usec] = (await fx.redis.time()) as unknown as [string, string];
    const redisNow = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    await fx.redis.hset(k.stats, { tokens: '0', bucketAt: String(redisNow) });
    await new Promise((r) => setTimeout(r, 600));
    const n = (await a.tickEvent(evt))!.admitted.length;
    expect(n).toBeGreaterThanOrEqual(23);
    expect(n).toBeLessThanOrEqual(40);
    const bucketAt = Number(await fx.redis.hget(k.stats, 'bucketAt'));
    expect(bucketAt - redisNow).toBeGreaterThanOrEqual(600);
  });

  it('lets a late tick release everything that accrued, up to the burst, across a leader change', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 100, burst: 150 }, clock.now());
    const evt = ev.config.id;
    const k = eventKeys(fx.prefix, evt);
    const a = admitter(clock, evt, 'first');
    await a.tickEvent(evt);
    await joinMany(evt, 600, clock.now());
    clock.advance(250);
    await a.tickEvent(evt); // the full bucket (150) goes; the level is 0 now
    // The leader stalls 1.2 s (lease lapses); the next leader's tick owes 120 (< burst 150).
    await fx.redis.del(k.leader);
    clock.advance(1200);
    const b = admitter(clock, evt, 'second');
    expect((await b.tickEvent(evt))!.admitted).toHaveLength(120);
    // Another 3 s stall: capped at the burst, 150, not 300.
    await fx.redis.del(k.leader);
    clock.advance(3000);
    expect((await admitter(clock, evt, 'third').tickEvent(evt))!.admitted).toHaveLength(150);
  });

  it('fences a deposed leader: its admit call releases nobody', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 100, burst: 100 }, clock.now());
    const evt = ev.config.id;
    const k = eventKeys(fx.prefix, evt);
    const a = admitter(clock, evt, 'old');
    await a.tickEvent(evt);
    await joinMany(evt, 50, clock.now());
    const oldFence = a.lease.held.get(evt)!;
    // The lease lapses (process stalled) and another process takes over.
    await fx.redis.del(k.leader);
    const b = admitter(clock, evt, 'new');
    clock.advance(250);
    expect((await b.tickEvent(evt))!.fence).toBeGreaterThan(oldFence);
    const r = (await runScript(
      fx.redis,
      'admit',
      [
        k.event,
        k.leader,
        k.fence,
        k.queue,
        k.admitted,
        k.admittedAt,
        k.stock,
        k.stats,
        k.absent,
        k.prequeue,
        k.seq,
        k.log,
      ],
      ['old', oldFence, 10, clock.now(), 1000, 1000, 1, 100, 100, clock.now()],
    )) as number[];
    expect(r).toEqual([-1]);
    expect(await a.tickEvent(evt)).toBeNull();
  });
});
