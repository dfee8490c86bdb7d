// Places stay honest: a gate process killed with -9 has its places marked absent by the
// admitter within a few seconds (heartbeat + held set per gate and event) and dropped after the
// grace period, while the surviving process's places stay; a place admitted while nobody holds
// its socket does not keep a capacity slot past the grace period; places told sold out are
// taken out of the line.
import { eventKeys, heldKey, runScript, setEventState } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Admitter } from '../src/admission/admitter.ts';
import { joinQueue } from '../src/queue/join.ts';
import { Presence } from '../src/queue/presence.ts';
import { type Client, connect } from './client.ts';
import { testGate } from './gate.ts';
import { fakeClock, makeEvent, quietLog, until } from './helpers.ts';
import { type SpawnedGate, spawnGate } from './spawn.ts';

let fx: RedisFixture;
let spawned: SpawnedGate | undefined;
let inproc: Awaited<ReturnType<typeof testGate>> | undefined;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await spawned?.stop();
  await inproc?.close();
  spawned = undefined;
  inproc = undefined;
  await fx.cleanup();
});

it('marks the places of a gate process killed with -9 absent within seconds, drops them after grace, keeps the others', async () => {
  spawned = await spawnGate(fx.prefix, 2, { GATE_TICK_MS: '100', GATE_LEADER_TTL_MS: '1000' });
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, graceS: 4 });
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await until(async () => (await fx.redis.hget(k.event, 'state')) === 'open', 15_000, 'event open');
  const clients: { c: Client; placeId: string }[] = [];
  for (let i = 0; i < 30; i++) {
    const c = await connect(`ws://127.0.0.1:${spawned.port}/v1/events/${evt}/ws`);
    c.send({ t: 'join' });
    clients.push({ c, placeId: (await c.next('welcome')).placeId });
  }
  // Each process records what it holds; wait until both sets together hold all 30.
  const heldBy = async (): Promise<Map<string, string[]>> => {
    const gates = await fx.redis.zrange(k.presence, 0, -1);
    const out = new Map<string, string[]>();
    for (const gid of gates) out.set(gid, await fx.redis.smembers(heldKey(fx.prefix, evt, gid)));
    return out;
  };
  const sets = await until(
    async () => {
      const m = await heldBy();
      return [...m.values()].flat().length === 30 && m.size === 2 ? m : null;
    },
    10_000,
    'both processes reporting their places',
  );
  const leader = (await fx.redis.get(k.leader))!;
  // Kill the process that is not the admitter (the admitter's own death is covered by
  // multiprocess.itest.ts; here the survivor must notice the other one).
  const all = [...(sets as Map<string, string[]>)];
  const [victim, victimPlaces] = all.find(([gid]) => gid !== leader)!;
  const survivorPlaces = all.find(([gid]) => gid === leader)![1];
  expect(victimPlaces.length).toBeGreaterThan(0);
  process.kill(Number(victim.split(':')[1]), 'SIGKILL');

  await until(
    async () => (await fx.redis.zmscore(k.absent, ...victimPlaces)).every((s) => s !== null),
    10_000,
    "the dead process's places marked absent",
  );
  expect(await fx.redis.zscore(k.presence, victim)).toBeNull();
  expect(await fx.redis.exists(heldKey(fx.prefix, evt, victim))).toBe(0);
  // After the grace period (4 s) they are out of the line; the survivor's places are not.
  await until(
    async () => (await fx.redis.zmscore(k.queue, ...victimPlaces)).every((s) => s === null),
    20_000,
    'dead places dropped after grace',
  );
  expect((await fx.redis.zmscore(k.queue, ...survivorPlaces)).every((s) => s !== null)).toBe(true);
  expect((await fx.redis.zmscore(k.absent, ...survivorPlaces)).every((s) => s === null)).toBe(true);
  for (const x of clients) x.c.close();
}, 90_000);

it('leaves a place alone that reconnected to a live gate before or after the dead one is reaped', async () => {
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  const now = Date.now();
  // Gate "dead" held three places and stopped beating 10 s ago; gate "live" beats now.
  await fx.redis.zadd(k.presence, now - 10_000, 'dead', now, 'live');
  await fx.redis.sadd(heldKey(fx.prefix, evt, 'dead'), 'p-gone', 'p-back', 'p-late');
  // p-back's shopper reconnected to the live gate before the reap (its join un-marked it and the
  // live gate recorded it); p-gone never came back.
  await fx.redis.sadd(heldKey(fx.prefix, evt, 'live'), 'p-back');
  const keys = [k.presence, heldKey(fx.prefix, evt, 'dead'), k.absent, k.admittedAt];
  expect(await runScript(fx.redis, 'reap', keys, ['dead', now - 3000, 100])).toEqual([2, 0]);
  expect(await fx.redis.zscore(k.absent, 'p-gone')).toBe(String(now - 10_000));
  expect(await fx.redis.zscore(k.absent, 'p-back')).toBeNull();
  // p-late's shopper reconnected to the live gate just before the reap, which ran before that gate
  // wrote its held set: the gate's next write of what it holds un-marks the place.
  expect(await fx.redis.zscore(k.absent, 'p-late')).not.toBeNull();
  const live = new Presence(fx.redis, fx.prefix, 'live');
  live.held(evt, 'p-late');
  await live.flush(Date.now(), [evt]);
  expect(await fx.redis.zscore(k.absent, 'p-late')).toBeNull();
  expect(await fx.redis.zscore(k.absent, 'p-gone')).not.toBeNull();
});

it('frees the slot of a place admitted while away if nobody collects the ticket within grace', async () => {
  const clock = fakeClock();
  const ev = await makeEvent(fx.redis, fx.prefix, { rate: 100, burst: 100, graceS: 10 }, clock.now());
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  const a = new Admitter({
    redis: fx.redis,
    prefix: fx.prefix,
    id: 'a',
    now: clock.now,
    bucketClock: clock.now,
    tickMs: 250,
    leaderTtlMs: 5000,
    log: quietLog,
    eventIds: () => [evt],
  });
  await a.tickEvent(evt);
  const gone = await joinQueue(fx.redis, fx.prefix, evt, {
    cid: 'gone-client-1',
    resumePlaceId: '',
    now: clock.now(),
  });
  const back = await joinQueue(fx.redis, fx.prefix, evt, {
    cid: 'back-client-1',
    resumePlaceId: '',
    now: clock.now(),
  });
  // Both sockets went away; both get admitted while away.
  await fx.redis.zadd(k.absent, clock.now(), gone.placeId, clock.now(), back.placeId);
  clock.advance(250);
  const t = await a.tickEvent(evt);
  expect(t!.admitted.sort()).toEqual([gone.placeId, back.placeId].sort());
  // One comes back within grace and collects its ticket (resume): un-marked.
  const resumed = await joinQueue(fx.redis, fx.prefix, evt, {
    cid: '',
    resumePlaceId: back.placeId,
    now: clock.now(),
  });
  expect(resumed.phase).toBe('admitted');
  clock.advance(11_000);
  await a.tickEvent(evt);
  expect(await fx.redis.zscore(k.admitted, gone.placeId)).toBeNull();
  expect(await fx.redis.hget(k.admittedAt, gone.placeId)).toBeNull();
  expect(await fx.redis.zscore(k.admitted, back.placeId)).not.toBeNull();
  await a.stop();
  // The sweep's contract, directly: nothing else is touched.
  expect(
    Number(
      await runScript(
        fx.redis,
        'sweep',
        [k.event, k.queue, k.prequeue, k.ident, k.owner, k.absent, k.admittedAt, k.admitted],
        [clock.now(), 100],
      ),
    ),
  ).toBe(0);
});

it('takes places told sold out out of the line', async () => {
  inproc = await testGate(fx.prefix);
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await until(() => inproc!.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const cs: Client[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await connect(inproc.ws(evt));
    c.send({ t: 'join' });
    await c.next('welcome');
    cs.push(c);
  }
  expect(await fx.redis.zcard(k.queue)).toBe(5);
  await setEventState(fx.redis, fx.prefix, evt, 'soldout');
  for (const c of cs) await c.closed;
  await until(async () => (await fx.redis.zcard(k.queue)) === 0, 5000, 'sold-out places out of the line');
  expect(await fx.redis.zcard(k.absent)).toBe(0);
});

it('a gate taken for dead after a stall writes its places again with its next heartbeat', async () => {
  inproc = await testGate(fx.prefix);
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
  const evt = ev.config.id;
  const k = eventKeys(fx.prefix, evt);
  await until(() => inproc!.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const cs: Client[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await connect(inproc.ws(evt));
    c.send({ t: 'join' });
    await c.next('welcome');
    cs.push(c);
  }
  const found = await until(
    async () => {
      const g = await fx.redis.zrange(k.presence, 0, -1);
      return g.length === 1 && (await fx.redis.scard(heldKey(fx.prefix, evt, g[0]!))) === 3 ? g : null;
    },
    5000,
    'three places held',
  );
  const gid = (found as string[])[0];
  // What the reaper does to a gate whose heartbeat lapsed.
  await fx.redis
    .multi()
    .zrem(k.presence, gid!)
    .del(heldKey(fx.prefix, evt, gid!))
    .exec();
  await until(
    async () => (await fx.redis.scard(heldKey(fx.prefix, evt, gid!))) === 3,
    5000,
    'places written again',
  );
  for (const c of cs) c.close();
});
