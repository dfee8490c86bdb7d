// Opening a big sale in bounded chunks, against the real Redis, driven tick by tick: a pre-queue
// filled through the real join script is numbered exactly once each, in shuffle order; joins
// during the opening come after the pre-queue; an admitter that dies midway is replaced and the
// new one resumes without losing or duplicating anyone; a leave meanwhile is honoured after the
// start. The full-size run (1,000,000, through a running gate) is gate/test/million.itest.ts;
// kill -9 of a spawned gate mid-opening is gate/test/open-kill.itest.ts.
import { createHash } from 'node:crypto';
import {
  createLogger,
  createRedis,
  eventKeys,
  joinKeys,
  pipeScript,
  prequeueDigest,
  type Redis,
  runScript,
  shuffleOrder,
} from '@sluice/shared';
import { type RedisFixture, redisFixture, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { fakeClock, makeEvent, quietLog, until } from '../../test/helpers.ts';
import { joinQueue } from '../queue/join.ts';
import { newPlaceId } from '../queue/place-token.ts';
import { Admitter, type AdmitterOptions } from './admitter.ts';
import { readPrequeue } from './open.ts';

let fx: RedisFixture;
const extra: Redis[] = [];
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  for (const r of extra.splice(0)) r.disconnect();
  // The big keys go with UNLINK (freed in the background, not blocking other tests' Redis).
  let cursor = '0';
  do {
    const [next, keys] = await fx.redis.scan(cursor, 'MATCH', `${fx.prefix}:*`, 'COUNT', 1000);
    // bounded: one SCAN page
    if (keys.length) await fx.redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  await fx.cleanup();
});

function admitter(clock: { now: () => number }, evt: string, o: Partial<AdmitterOptions> = {}) {
  return new Admitter({
    redis: fx.redis,
    prefix: fx.prefix,
    id: 'a1',
    now: clock.now,
    tickMs: 250,
    leaderTtlMs: 2000,
    log: process.env.A11_DEBUG ? createLogger('t', 'debug') : quietLog,
    eventIds: () => [evt],
    ...o,
  });
}

/** n pre-queue joins through the real join script, pipelined 5,000 at a time. */
async function fillPrequeue(evt: string, n: number, now: number): Promise<void> {
  const keys = joinKeys(fx.prefix, evt, '');
  for (let i = 0; i < n; i += 5000) {
    const pipe = fx.redis.pipeline();
    for (let j = i; j < Math.min(n, i + 5000); j++)
      pipeScript(pipe, 'join', keys, [newPlaceId(), '', '', now]);
    for (const [err, r] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      if ((r as string[])[2] !== 'prequeue') throw new Error(`join went to ${(r as string[])[2]}`);
    }
  }
}

/** Move the event into its pre-queue (a tick of a short-lived admitter) and fill it. */
async function fillPrequeueFromTick(clock: { now: () => number }, evt: string, n: number): Promise<void> {
  const a = admitter(clock, evt, { id: 'filler' });
  await a.tickEvent(evt);
  await a.stop(); // gives the lease back
  await fillPrequeue(evt, n, clock.now());
}

/** The whole queue zset as placeId → ticket number, read in pages. */
async function readQueue(evt: string): Promise<Map<string, number>> {
  const key = eventKeys(fx.prefix, evt).queue;
  const out = new Map<string, number>();
  for (let i = 0; ; i += 50_000) {
    const page = await fx.redis.zrange(key, i, i + 49_999, 'WITHSCORES');
    for (let j = 0; j < page.length; j += 2) out.set(page[j]!, Number(page[j + 1]));
    if (page.length < 100_000) return out;
  }
}

/** Every pre-queue member got exactly one number 1..n, in the shuffle order of the seed. */
async function expectNumberedInShuffleOrder(evt: string, n: number): Promise<Map<string, number>> {
  const k = eventKeys(fx.prefix, evt);
  const ev = await fx.redis.hgetall(k.event);
  expect(ev.state).toBe('open');
  expect(createHash('sha256').update(ev.seed!).digest('hex')).toBe(ev.seedHash);
  expect(ev.opening).toBeUndefined();
  expect(await fx.redis.exists(k.opening)).toBe(0);
  const members = await readPrequeue(fx.redis, k.prequeue, n);
  expect(ev.prequeueDigest).toBe(prequeueDigest(members));
  expect(Number(ev.prequeueN)).toBe(n);
  const order = shuffleOrder(members, ev.seed!);
  const queue = await readQueue(evt);
  let wrong = 0;
  for (let i = 0; i < n; i++) if (queue.get(order[i]!) !== i + 1) wrong++;
  expect(wrong).toBe(0);
  // No number given twice (a zset member has one score; this checks the numbers).
  const numbers = new Set(queue.values());
  expect(numbers.size).toBe(queue.size);
  return queue;
}

it('opens a 200,000-shopper pre-queue in chunks: one unique number each, in shuffle order; joins meanwhile come after', async () => {
  const N = 200_000;
  const clock = fakeClock(Date.now());
  const start = clock.now() + 3_600_000;
  const ev = await makeEvent(
    fx.redis,
    fx.prefix,
    { prequeueAt: clock.now(), startAt: start, queueAll: true },
    clock.now(),
  );
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  const a = admitter(clock, evt);
  await a.tickEvent(evt);
  expect(await fx.redis.hget(k.event, 'state')).toBe('prequeue');
  await fillPrequeue(evt, N, clock.now());
  expect(await fx.redis.zcard(k.prequeue)).toBe(N);

  clock.set(start);
  let chunks = 0;
  const b = admitter(clock, evt, { onOpenChunk: () => chunks++ });
  const t0 = Date.now();
  await b.tickEvent(evt); // begins the opening; it runs on in the background
  expect(await fx.redis.hget(k.event, 'state')).toBe('prequeue');
  expect(Number(await fx.redis.hget(k.event, 'opening'))).toBe(N);
  // Joins while the numbers are being written get the next numbers after the pre-queue.
  const late = [];
  for (let i = 0; i < 3; i++)
    late.push(await joinQueue(fx.redis, fx.prefix, evt, { cid: '', resumePlaceId: '', now: clock.now() }));
  expect(late.map((j) => [j.phase, j.score])).toEqual([
    ['queue', N + 1],
    ['queue', N + 2],
    ['queue', N + 3],
  ]);
  // The admitter keeps ticking (lease, frames) until the last chunk flips the state.
  while ((await fx.redis.hget(k.event, 'state')) !== 'open') {
    if (Date.now() - t0 > 280_000) throw new Error('not open after 280 s');
    await b.tickEvent(evt);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(chunks).toBe(N / 5000 - 1); // the last chunk opens, it is not counted as progress
  const queue = await expectNumberedInShuffleOrder(evt, N);
  expect(queue.size).toBe(N + 3);
  for (const [i, j] of late.entries()) expect(queue.get(j.placeId)).toBe(N + 1 + i);
  expect(await fx.redis.get(k.seq)).toBe(String(N + 3));
  await b.stop();
}, 300_000);

it('an admitter that dies mid-opening is replaced; the successor resumes: nobody lost or numbered twice', async () => {
  const N = 60_000;
  const clock = fakeClock(Date.now());
  const start = clock.now() + 3_600_000;
  const ev = await makeEvent(
    fx.redis,
    fx.prefix,
    { prequeueAt: clock.now(), startAt: start, queueAll: true },
    clock.now(),
  );
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await fillPrequeueFromTick(clock, evt, N);
  clock.set(start);

  // A has its own connection; after 5 chunks it "dies": the connection drops mid-opening.
  const redisA = createRedis(TEST_REDIS_URL, { maxRetriesPerRequest: 0 });
  extra.push(redisA);
  const a = admitter(clock, evt, {
    redis: redisA,
    id: 'A',
    leaderTtlMs: 1500,
    openChunk: 1000,
    onOpenChunk: (_e, done) => done >= 5000 && redisA.disconnect(),
  });
  a.start(); // its own tick loop keeps the lease while it opens, as in a gate process
  await until(async () => (await fx.redis.get(k.leader)) === 'A', 10_000, 'A leads');
  const fenceA = Number(await fx.redis.get(k.fence));
  await until(() => redisA.status === 'end', 30_000, 'A to die after 5 chunks');
  const done = Number(await fx.redis.hget(k.opening, 'done'));
  expect(done).toBeGreaterThanOrEqual(5000);
  expect(done).toBeLessThan(N);
  expect(await fx.redis.hget(k.event, 'state')).toBe('prequeue');

  const resumedAt: number[] = [];
  const b = admitter(clock, evt, {
    id: 'B',
    leaderTtlMs: 1500,
    openChunk: 1000,
    onOpenChunk: (_e, d) => resumedAt.push(d),
  });
  const t0 = Date.now();
  while ((await b.tickEvent(evt)) === null) {
    if (Date.now() - t0 > 10_000) throw new Error('B never took the lease');
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(Number(await fx.redis.get(k.fence))).toBeGreaterThan(fenceA);
  // The deposed A cannot write a chunk any more, whatever it believes.
  const stale = await runScript<number[]>(
    fx.redis,
    'open-chunk',
    [k.event, k.leader, k.fence, k.prequeue, k.queue, k.opening, k.seed],
    ['A', fenceA, done, 'x', 'someone'],
  );
  expect(stale.map(Number)).toEqual([-1]);
  while ((await fx.redis.hget(k.event, 'state')) !== 'open') {
    // A bound on a hung opening, not a timing check: at load 50 this took over 60 s.
    if (Date.now() - t0 > 200_000) throw new Error('not open after 200 s');
    await b.tickEvent(evt);
    await new Promise((r) => setTimeout(r, 50));
  }
  // B started from A's progress, not from 0.
  expect(resumedAt[0]).toBe(done + 1000);
  const queue = await expectNumberedInShuffleOrder(evt, N);
  expect(queue.size).toBe(N);
  await b.stop();
  await a.stop();
}, 240_000);

it('a shopper who leaves while the sale opens is dropped by the first sweep after the start', async () => {
  const N = 12_000;
  const clock = fakeClock(Date.now());
  const start = clock.now() + 60_000;
  const ev = await makeEvent(
    fx.redis,
    fx.prefix,
    { prequeueAt: clock.now(), startAt: start, queueAll: true },
    clock.now(),
  );
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await admitter(clock, evt).tickEvent(evt);
  await fillPrequeue(evt, N - 1, clock.now());
  const leaver = await joinQueue(fx.redis, fx.prefix, evt, {
    cid: 'leaver-cid-1',
    resumePlaceId: '',
    now: clock.now(),
  });
  clock.set(start);
  const a = admitter(clock, evt, { openChunk: 100 });
  await a.tickEvent(evt);
  expect(await fx.redis.exists(k.opening)).toBe(1);
  // Leave while opening: the frozen pre-queue keeps the member, sweep does nothing until open.
  await runScript(
    fx.redis,
    'leave',
    [k.event, k.queue, k.prequeue, k.ident, k.owner, k.absent],
    [leaver.placeId],
  );
  expect(await fx.redis.zscore(k.prequeue, leaver.placeId)).not.toBeNull();
  expect(await fx.redis.hget(k.ident, 'leaver-cid-1')).toBeNull();
  while ((await fx.redis.hget(k.event, 'state')) !== 'open') {
    await a.tickEvent(evt);
    await new Promise((r) => setTimeout(r, 50));
  }
  await a.tickEvent(evt); // the first tick after the start sweeps
  expect(await fx.redis.zscore(k.queue, leaver.placeId)).toBeNull();
  expect(await fx.redis.zcard(k.queue)).toBe(N - 1);
  expect(await fx.redis.zcard(k.prequeue)).toBe(N);
  await a.stop();
}, 60_000);
