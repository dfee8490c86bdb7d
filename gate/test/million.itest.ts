// A hyped drop at full size, end to end against the real Redis and a running gate: 1,000,000
// shoppers join the pre-queue through the real join script (pipelined), the sale starts, the
// gate's own admitter numbers them in bounded chunks (joins meanwhile get numbers after them),
// every member holds exactly one number 1..n in shuffle order, the seed is revealed, and the
// published pre-queue, read page by page by the verifier script as an outsider would, reproduces
// the order and the recorded digest.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  eventKeys,
  joinKeys,
  type PrequeuePage,
  pipeScript,
  prequeueDigest,
  shuffleOrder,
  updateEvent,
} from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readPrequeue } from '../src/admission/open.ts';
import { joinQueue } from '../src/queue/join.ts';
import { newPlaceId } from '../src/queue/place-token.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

const VERIFY = fileURLToPath(new URL('../scripts/verify-shuffle.ts', import.meta.url));
const N = 1_000_000;
let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>> | undefined;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await gate?.close();
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

it('opens a 1,000,000-shopper pre-queue: one unique number each in shuffle order, verifiable page by page', async () => {
  gate = await testGate(fx.prefix, { GATE_TICK_MS: '250' });
  const now = Date.now();
  const ev = await makeEvent(fx.redis, fx.prefix, {
    prequeueAt: now - 1000,
    startAt: now + 3_600_000,
    queueAll: true,
  });
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await until(async () => (await fx.redis.hget(k.event, 'state')) === 'prequeue', 10_000, 'pre-queue');

  // 1,000,000 joins through the real join script, 5,000 per pipeline.
  const keys = joinKeys(fx.prefix, evt, '');
  for (let i = 0; i < N; i += 5000) {
    const pipe = fx.redis.pipeline();
    for (let j = i; j < i + 5000; j++) pipeScript(pipe, 'join', keys, [newPlaceId(), '', '', Date.now()]);
    for (const [err, r] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      if ((r as string[])[2] !== 'prequeue') throw new Error(`join went to ${(r as string[])[2]}`);
    }
  }
  const page = async (q: string): Promise<Response> => fetch(`${gate!.http}/v1/events/${evt}/prequeue${q}`);
  const before = (await (await page('?limit=3')).json()) as PrequeuePage;
  expect(before).toMatchObject({ frozen: false, total: N, seed: null, digest: null, offset: 0, next: 3 });
  expect(before.members).toHaveLength(3);
  expect((await page('?limit=10001')).status).toBe(400);
  expect((await page('?offset=-1')).status).toBe(400);

  // The start (as the console's "open now" does it): the gate's admitter opens the sale.
  const t0 = Date.now();
  await updateEvent(fx.redis, fx.prefix, evt, { startAt: t0, prequeueAt: t0 - 1000 });
  await until(async () => (await fx.redis.hget(k.event, 'opening')) !== null, 30_000, 'opening');
  const late = [];
  for (let i = 0; i < 3; i++)
    late.push(await joinQueue(fx.redis, fx.prefix, evt, { cid: '', resumePlaceId: '', now: Date.now() }));
  await until(async () => (await fx.redis.hget(k.event, 'state')) === 'open', 400_000, 'open');
  const openS = (Date.now() - t0) / 1000;
  // Reported, not asserted (speed lives in the bench): seconds from the start to open.
  console.info(
    `1,000,000-member pre-queue open ${openS.toFixed(1)} s after the start (load ${loadavg()[0]})`,
  );
  // Joined while the numbers were being written: after the whole pre-queue.
  expect(late.map((j) => j.phase)).toEqual(['queue', 'queue', 'queue']);
  expect(late.map((j) => j.score)).toEqual([N + 1, N + 2, N + 3]);

  const ev2 = await fx.redis.hgetall(k.event);
  expect(createHash('sha256').update(ev2.seed!).digest('hex')).toBe(ev.seedHash);
  const members = await readPrequeue(fx.redis, k.prequeue, N);
  expect(ev2.prequeueDigest).toBe(prequeueDigest(members));
  const order = shuffleOrder(members, ev2.seed!);
  members.length = 0;
  const numberOf = new Map<string, number>();
  for (let i = 0; ; i += 100_000) {
    const p = await fx.redis.zrange(k.queue, i, i + 99_999, 'WITHSCORES');
    for (let j = 0; j < p.length; j += 2) numberOf.set(p[j]!, Number(p[j + 1]));
    if (p.length < 200_000) break;
  }
  expect(numberOf.size).toBe(N + 3);
  let wrong = 0;
  for (let i = 0; i < N; i++) if (numberOf.get(order[i]!) !== i + 1) wrong++;
  expect(wrong).toBe(0);
  expect(new Set(numberOf.values()).size).toBe(N + 3);

  // An outsider reads every page and recomputes the order: the count, the digest and the
  // number of a given place match.
  const url = `${gate.http}/v1/events/${evt}/prequeue`;
  const run = promisify(execFile);
  const opts = { maxBuffer: 1 << 20 };
  const someone = order[777_777]!;
  const out = await run(
    process.execPath,
    ['--import', 'tsx', VERIFY, url, '--summary', '--place', someone],
    opts,
  );
  expect(out.stdout.trim().split('\n')).toEqual([`ok ${N} ${ev2.prequeueDigest}`, '777778']);
  const frozen = (await (await page('?offset=999999&limit=10')).json()) as PrequeuePage;
  expect(frozen).toMatchObject({
    frozen: true,
    total: N,
    seed: ev2.seed,
    digest: ev2.prequeueDigest,
    next: null,
  });
  expect(frozen.members).toHaveLength(1);
}, 840_000);
