// kill -9 of the admitter while it opens a sale: two spawned gate worker processes, a 100,000
// pre-queue numbered 200 at a time; the leader is killed after some chunks, the other process
// takes the lease, resumes from the recorded progress, and every member ends with exactly one
// number 1..n in shuffle order.
import { eventKeys, joinKeys, pipeScript, shuffleOrder, updateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readPrequeue } from '../src/admission/open.ts';
import { newPlaceId } from '../src/queue/place-token.ts';
import { makeEvent, until } from './helpers.ts';
import { type SpawnedGate, spawnGate } from './spawn.ts';

let fx: RedisFixture;
let gate: SpawnedGate | undefined;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await gate?.stop();
  gate = undefined;
  await fx.cleanup();
});

it('a leader killed with -9 mid-opening is replaced; the successor resumes: nobody lost or numbered twice', async () => {
  const N = 100_000;
  gate = await spawnGate(fx.prefix, 2, {
    GATE_OPEN_CHUNK: '200',
    GATE_LEADER_TTL_MS: '1000',
    GATE_TICK_MS: '100',
  });
  const now = Date.now();
  const ev = await makeEvent(fx.redis, fx.prefix, {
    prequeueAt: now - 1000,
    startAt: now + 3_600_000,
    queueAll: true,
  });
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await until(async () => (await fx.redis.hget(k.event, 'state')) === 'prequeue', 10_000, 'pre-queue');
  const keys = joinKeys(fx.prefix, evt, '');
  for (let i = 0; i < N; i += 5000) {
    const pipe = fx.redis.pipeline();
    for (let j = i; j < i + 5000; j++) pipeScript(pipe, 'join', keys, [newPlaceId(), '', '', Date.now()]);
    await pipe.exec();
  }
  expect(await fx.redis.zcard(k.prequeue)).toBe(N);

  await updateEvent(fx.redis, fx.prefix, evt, { startAt: Date.now() });
  const done = await until(
    async () => {
      const d = Number((await fx.redis.hget(k.opening, 'done')) ?? 0);
      return d >= 2000 ? d : 0;
    },
    60_000,
    'ten chunks written',
  );
  const leader = (await fx.redis.get(k.leader))!;
  const fence = Number(await fx.redis.get(k.fence));
  process.kill(Number(leader.split(':')[1]), 'SIGKILL');
  expect(done).toBeLessThan(N);
  expect(await fx.redis.hget(k.event, 'state')).toBe('prequeue');

  await until(async () => (await fx.redis.hget(k.event, 'state')) === 'open', 120_000, 'open after the kill');
  expect(Number(await fx.redis.get(k.fence))).toBeGreaterThan(fence);
  expect(gate.output()).toMatch(/resuming an interrupted opening/);
  const ev2 = await fx.redis.hgetall(k.event);
  const order = shuffleOrder(await readPrequeue(fx.redis, k.prequeue, N), ev2.seed!);
  const numberOf = new Map<string, number>();
  for (let i = 0; i < N; i += 50_000) {
    const p = await fx.redis.zrange(k.queue, i, i + 49_999, 'WITHSCORES');
    for (let j = 0; j < p.length; j += 2) numberOf.set(p[j]!, Number(p[j + 1]));
  }
  expect(numberOf.size).toBe(N);
  let wrong = 0;
  for (let i = 0; i < N; i++) if (numberOf.get(order[i]!) !== i + 1) wrong++;
  expect(wrong).toBe(0);
  expect(await fx.redis.get(k.seq)).toBe(String(N));
}, 240_000);
