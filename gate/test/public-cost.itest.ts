// What the public endpoints cost the gate (issue 13), counted as the commands its Redis client
// really sends: upgrades to unknown event ids are looked up at most once per id per few seconds
// and at most GATE_PUBLIC_RATE_PER_IP times per address; /prequeue is served from a cache; a
// polled admitted place is signed (and its digest recorded) once, not per poll; over the
// per-address limit the answer is 429 with no Redis work at all.
import { eventKeys, updateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, upgradeStatus } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let sent: { name: string; args: string[] }[];

beforeEach(async () => {
  fx = await redisFixture();
  gate = await testGate(fx.prefix, { GATE_PUBLIC_RATE_PER_IP: '50' });
  sent = [];
  const redis = gate.ctx.redis as unknown as {
    sendCommand: (c: { name: string; args: unknown[] }, ...rest: unknown[]) => unknown;
  };
  const orig = redis.sendCommand.bind(redis);
  // Every command the gate sends passes here, auto-pipelined ones too (the pipeline calls
  // sendCommand per command with its own stream as the second argument, which must be passed on:
  // dropping it wrote each command on its own and left the pipeline waiting).
  redis.sendCommand = (c, ...rest) => {
    sent.push({ name: String(c.name).toLowerCase(), args: c.args.map(String) });
    return orig(c, ...rest);
  };
});
afterEach(async () => {
  await gate.close();
  await fx.cleanup();
});

const mentioning = (s: string) => sent.filter((c) => c.args.some((a) => a.includes(s)));

describe('public endpoints cost no Redis work per request', () => {
  it('upgrades to unknown event ids: one look-up per id, none past the per-address limit', async () => {
    const same: number[] = [];
    for (let i = 0; i < 30; i++) same.push(await upgradeStatus(gate.ws('nope-same'), 'https://shop.example'));
    expect(same.every((s) => s === 404)).toBe(true);
    // Before: every upgrade read the event from Redis (30 reads).
    expect(mentioning('nope-same').length).toBeLessThanOrEqual(2);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++)
      statuses.push(await upgradeStatus(gate.ws(`nope-${i}`), 'https://shop.example'));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(100 - 50);
    expect(mentioning('nope-').length - mentioning('nope-same').length).toBeLessThanOrEqual(2 * 50);
  });

  it('/prequeue is served from a cache, paged from Redis', async () => {
    const evt = (await makeEvent(fx.redis, fx.prefix, { startAt: Date.now() + 60_000 })).config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'prequeue', 5000, 'prequeue');
    for (let i = 0; i < 5; i++) {
      const c = await connect(gate.ws(evt));
      c.send({ t: 'join', cid: `prequeue-shopper-${i}` });
      await c.next('welcome');
      c.close();
    }
    sent = [];
    const bodies: string[] = [];
    for (let i = 0; i < 40; i++)
      bodies.push(await (await fetch(`${gate.http}/v1/events/${evt}/prequeue`)).text());
    expect(JSON.parse(bodies[0]!).members).toHaveLength(5);
    expect(new Set(bodies).size).toBe(1);
    // Before: one unbounded ZRANGE 0 -1 per request (40).
    expect(sent.filter((c) => c.name === 'zrange').length).toBeLessThanOrEqual(2);
  });

  it('a polled admitted place is signed and recorded once; over the limit, 429 without Redis', async () => {
    const evt = (await makeEvent(fx.redis, fx.prefix)).config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'open');
    const join = await fetch(`${gate.http}/v1/events/${evt}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cid: 'polling-shopper-1' }),
    });
    const { place, placeId } = (await join.json()) as { place: string; placeId: string };
    await updateEvent(fx.redis, fx.prefix, evt, { rate: 1000 });
    const poll = () => fetch(`${gate.http}/v1/events/${evt}/place`, { headers: { 'x-sluice-place': place } });
    await until(
      async () => ((await (await poll()).json()) as { ticket?: string }).ticket,
      10_000,
      'admitted',
    );
    sent = [];
    const tickets = new Set<string>();
    for (let i = 0; i < 20; i++) tickets.add(((await (await poll()).json()) as { ticket: string }).ticket);
    expect(tickets.size).toBe(1);
    // Before: every poll signed the ticket again and wrote its digest (20 writes). Only the
    // digest record and this place count: the gate's periodic writes (its `gates` report each
    // second, the admitter's stats) land in this window too when the machine is slow.
    const digests = eventKeys(fx.prefix, evt).ticketHash;
    expect(sent.filter((c) => c.args[0] === digests).length).toBe(0);
    // One join-script call per poll, and no other write naming the place (reads may: the
    // admission recheck runs on its own clock).
    const writes = new Set([
      'hset',
      'hsetnx',
      'hmset',
      'set',
      'zadd',
      'sadd',
      'rpush',
      'lpush',
      'hincrby',
      'incr',
    ]);
    expect(mentioning(placeId).filter((c) => c.name === 'evalsha' || c.name === 'eval')).toHaveLength(20);
    // The polls before the admission marked the place absent (no socket holds it); those marks
    // are flushed in batches every 100 ms, so the last one may land in this window.
    const absent = eventKeys(fx.prefix, evt).absent;
    expect(mentioning(placeId).filter((c) => writes.has(c.name) && c.args[0] !== absent)).toHaveLength(0);
    sent = [];
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await poll()).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const refused = statuses.filter((s) => s === 429).length;
    // Each answered poll is one join-script call; a refused one costs nothing.
    // (Reads on the gate's own clock, such as the admission recheck, may name the place too.)
    expect(mentioning(placeId).filter((c) => c.name === 'evalsha' || c.name === 'eval')).toHaveLength(
      60 - refused,
    );
    expect(mentioning(placeId).filter((c) => writes.has(c.name) && c.args[0] !== absent)).toHaveLength(0);
  });
});
