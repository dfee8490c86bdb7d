// kill -9 of the admitter while it opens a sale: two spawned gate worker processes, a 100,000
// pre-queue numbered 200 at a time; the leader is killed after some chunks, the other process
// takes the lease, resumes from the recorded progress, and every member ends with exactly one
// number 1..n in shuffle order.
import { eventKeys, joinKeys, pipeScript, shuffleOrder, updateEvent } from '@sluice/shared';
import { expect, it } from 'vitest';
import { readPrequeue } from '../src/admission/open.ts';
import { newPlaceId } from '../src/queue/place-token.ts';
import { makeEvent, until } from './helpers.ts';
import { spawnedGatePerTest, spawnGate } from './spawn.ts';

const t = spawnedGatePerTest();

it('a leader killed with -9 mid-opening is replaced; the successor resumes: nobody lost or numbered twice', async () => {
  const N = 100_000;
  t.gate = await spawnGate(t.fx.prefix, 2, {
    GATE_OPEN_CHUNK: '200',
    GATE_LEADER_TTL_MS: '1000',
    GATE_TICK_MS: '100',
  });
  const now = Date.now();
  const ev = await makeEvent(t.fx.redis, t.fx.prefix, {
    prequeueAt: now - 1000,
    startAt: now + 3_600_000,
    queueAll: true,
  });
  const evt = ev.config.id;
  const k = eventKeys(t.fx.prefix, evt);
  await until(async () => (await t.fx.redis.hget(k.event, 'state')) === 'prequeue', 10_000, 'pre-queue');
  const keys = joinKeys(t.fx.prefix, evt, '');
  for (let i = 0; i < N; i += 5000) {
    const pipe = t.fx.redis.pipeline();
    for (let j = i; j < i + 5000; j++) pipeScript(pipe, 'join', keys, [newPlaceId(), '', '', Date.now()]);
    await pipe.exec();
  }
  expect(await t.fx.redis.zcard(k.prequeue)).toBe(N);

  await updateEvent(t.fx.redis, t.fx.prefix, evt, { startAt: Date.now() });
  const done = await until(
    async () => {
      const d = Number((await t.fx.redis.hget(k.opening, 'done')) ?? 0);
      return d >= 2000 ? d : 0;
    },
    60_000,
    'ten chunks written',
  );
  const leader = (await t.fx.redis.get(k.leader))!;
  const fence = Number(await t.fx.redis.get(k.fence));
  process.kill(Number(leader.split(':')[1]), 'SIGKILL');
  expect(done).toBeLessThan(N);
  expect(await t.fx.redis.hget(k.event, 'state')).toBe('prequeue');

  await until(async () => (await t.fx.redis.hget(k.event, 'state')) === 'open', 120_000, 'open after the kill');
  expect(Number(await t.fx.redis.get(k.fence))).toBeGreaterThan(fence);
  expect(t.gate.output()).toMatch(/resuming an interrupted opening/);
  const ev2 = await t.fx.redis.hgetall(k.event);
  const order = shuffleOrder(await readPrequeue(t.fx.redis, k.prequeue, N), ev2.seed!);
  const numberOf = new Map<string, number>();
  for (let i = 0; i < N; i += 50_000) {
    const p = await t.fx.redis.zrange(k.queue, i, i + 49_999, 'WITHSCORES');
    for (let j = 0; j < p.length; j += 2) numberOf.set(p[j]!, Number(p[j + 1]));
  }
  expect(numberOf.size).toBe(N);
  let wrong = 0;
  for (let i = 0; i < N; i++) if (numberOf.get(order[i]!) !== i + 1) wrong++;
  expect(wrong).toBe(0);
  expect(await t.fx.redis.get(k.seq)).toBe(String(N));
}, 240_000);
