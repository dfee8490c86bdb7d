// The start of a hyped drop: N shoppers in the pre-queue (joined through the real join script,
// pipelined, so the phase measures the opening and not a million sockets), then the start; the
// gate's admitter shuffles and numbers them in chunks. Measures seconds from the start until the
// event is open with the seed revealed, and checks every member got a number.
import { createEvent, eventKeys, joinKeys, pipeScript, updateEvent } from '@sluice/shared';
import { randomBytes } from 'node:crypto';
import { pollUntil, sleep } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';

export interface PrequeueOpenResult {
  members: number;
  fillSeconds: number;
  /** From the start (startAt moved to now) until state `open` with the seed revealed. */
  openSeconds: number;
  numbered: number;
  seedRevealed: boolean;
}

export async function runPrequeueOpen(
  s: Stores,
  o: { evt: string; members: number; maxOpenSeconds: number },
): Promise<PrequeueOpenResult> {
  const now = Date.now();
  await createEvent(s.redis, s.prefix, {
    id: o.evt,
    name: 'pre-queue open bench',
    prequeueAt: now - 1000,
    startAt: now + 3_600_000,
    rate: 0,
    queueAll: true,
    maxActive: 1,
    graceS: 3600,
    powDifficulty: 0,
    powSurgeDifficulty: 0,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: 1, limitPerShopper: 1 }],
  });
  const k = eventKeys(s.prefix, o.evt);
  await pollUntil(async () => (await s.redis.hget(k.event, 'state')) === 'prequeue', 30_000, 100);
  const keys = joinKeys(s.prefix, o.evt, '');
  const t0 = Date.now();
  for (let i = 0; i < o.members; i += 5000) {
    const pipe = s.redis.pipeline();
    for (let j = i; j < Math.min(o.members, i + 5000); j++)
      pipeScript(pipe, 'join', keys, [randomBytes(12).toString('base64url'), '', '', Date.now()]);
    for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
  }
  const fillSeconds = (Date.now() - t0) / 1000;
  await sleep(1000);
  const start = Date.now();
  await updateEvent(s.redis, s.prefix, o.evt, { startAt: start });
  await pollUntil(async () => (await s.redis.hget(k.event, 'state')) === 'open', o.maxOpenSeconds * 1000, 50);
  const openSeconds = (Date.now() - start) / 1000;
  const [numbered, seed] = await Promise.all([s.redis.zcard(k.queue), s.redis.hget(k.event, 'seed')]);
  return {
    members: o.members,
    fillSeconds: Math.round(fillSeconds * 10) / 10,
    openSeconds: Math.round(openSeconds * 10) / 10,
    numbered,
    seedRevealed: !!seed,
  };
}
