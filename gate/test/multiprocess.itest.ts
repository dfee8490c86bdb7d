// Several gate worker processes on one port (spawned main.ts), against the real Redis:
// one admitter with failover after kill -9 and no double release, FIFO across processes,
// pause and rate changes applied by every process within a second, reconnect to another
// process keeping the place, graceful shutdown with GOING_AWAY.
import { CloseCode, eventKeys, globalKeys, setEventState, subscriberOf, updateEvent } from '@sluice/shared';
import { describe, expect, it } from 'vitest';
import { type Client, connect } from './client.ts';
import { makeEvent, until } from './helpers.ts';
import { spawnedGatePerTest, spawnGate } from './spawn.ts';

const t = spawnedGatePerTest();

const wsUrl = (evt: string) => `ws://127.0.0.1:${t.gate!.port}/v1/events/${evt}/ws`;

async function workerPids(): Promise<number[]> {
  const h = await t.fx.redis.hkeys(globalKeys(t.fx.prefix).gates);
  return h.map((f) => Number(f.split(':').at(-1)));
}

async function joinN(evt: string, n: number): Promise<{ c: Client; placeId: string; score: number }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = await connect(wsUrl(evt));
    c.send({ t: 'join' });
    const w = await c.next('welcome');
    out.push({ c, placeId: w.placeId, score: w.score! });
  }
  return out;
}

describe('several gate processes', () => {
  it('admit FIFO through one admitter; after kill -9 of the leader another takes over within 3 s without double release', async () => {
    t.gate = await spawnGate(t.fx.prefix, 3, { GATE_LEADER_TTL_MS: '2000', GATE_TICK_MS: '100' });
    const ev = await makeEvent(t.fx.redis, t.fx.prefix, { queueAll: true, rate: 10, burst: 1 });
    const evt = ev.config.id;
    const k = eventKeys(t.fx.prefix, evt);
    await until(async () => (await t.fx.redis.hget(k.event, 'state')) === 'open', 10_000, 'event open');
    await until(async () => (await workerPids()).length === 3, 10_000, 'three workers reporting');
    // Sockets spread over the processes (the kernel picks one per connection).
    const joined = await joinN(evt, 60);
    const admittedMsgs = new Map<string, number>();
    for (const j of joined) {
      j.c.next('admitted', 60_000).then(
        () => admittedMsgs.set(j.placeId, (admittedMsgs.get(j.placeId) ?? 0) + 1),
        () => {},
      );
    }
    // Record every admit message published (across leaders).
    const sub = subscriberOf(t.fx.redis);
    const published: string[] = [];
    const fences = new Set<number>();
    await sub.ssubscribe(k.admitChannel);
    sub.onMessage((_c, m) => {
      const msg = JSON.parse(m) as { fence: number; ids: string[] };
      fences.add(msg.fence);
      published.push(...msg.ids);
    });
    await updateEvent(t.fx.redis, t.fx.prefix, evt, { queueAll: false });
    await until(() => published.length >= 15, 20_000, 'first admissions');
    const leader = (await t.fx.redis.get(k.leader))!;
    const pid = Number(leader.split(':')[1]);
    expect((await workerPids()).includes(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const before = published.length;
    await until(
      async () => {
        const l = await t.fx.redis.get(k.leader);
        return l !== null && l !== leader;
      },
      10_000,
      'new leader',
    );
    await until(() => published.length > before, 10_000, 'admissions resume');
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThan(3000 + 500); // lease 2 s + one tick; 0.5 s slack for polling
    await until(() => published.length === 60, 30_000, 'everyone admitted');
    // No place released twice, FIFO order by ticket number, fence increased.
    expect(new Set(published).size).toBe(60);
    const scoreOf = new Map(joined.map((j) => [j.placeId, j.score]));
    const order = published.map((id) => scoreOf.get(id)!);
    let inversions = 0;
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) inversions++;
    expect(inversions).toBe(0);
    expect(fences.size).toBeGreaterThanOrEqual(2);
    expect(Number(await t.fx.redis.hget(k.stats, 'admittedTotal'))).toBe(60);
    expect(await t.fx.redis.hlen(k.admittedAt)).toBe(60);
    // Shoppers on the surviving processes got exactly one ticket each.
    await until(() => [...admittedMsgs.values()].length >= 30, 10_000, 'tickets delivered');
    expect([...admittedMsgs.values()].every((n) => n === 1)).toBe(true);
    sub.close();
    for (const j of joined) j.c.close();
  }, 120_000);

  it('apply pause and rate changes at every process within 1 s, and keep the place on a reconnect to any process', async () => {
    t.gate = await spawnGate(t.fx.prefix, 2, { GATE_TICK_MS: '100' });
    const ev = await makeEvent(t.fx.redis, t.fx.prefix, { rate: 2, burst: 1 });
    const evt = ev.config.id;
    const k = eventKeys(t.fx.prefix, evt);
    await until(async () => (await t.fx.redis.hget(k.event, 'state')) === 'open', 10_000, 'event open');
    await until(async () => (await workerPids()).length === 2, 10_000, 'two workers reporting');
    const joined = await joinN(evt, 40);

    // Pause: record the time, then no admission may carry a later admission time + 1 s.
    const v = await setEventState(t.fx.redis, t.fx.prefix, evt, 'paused');
    const pausedAt = Date.now();
    await until(
      async () => {
        const all = Object.values(await t.fx.redis.hgetall(globalKeys(t.fx.prefix).gates)).map((x) =>
          JSON.parse(x),
        );
        return all.length === 2 && all.every((g) => g.versions[evt] >= v);
      },
      1000,
      'both processes applied the pause within 1 s',
    );
    const countAtPause = await t.fx.redis.hlen(k.admittedAt);
    await new Promise((r) => setTimeout(r, 1500));
    const times = Object.values(await t.fx.redis.hgetall(k.admittedAt)).map(Number);
    expect(times.every((t) => t <= pausedAt + 1000)).toBe(true);
    expect(await t.fx.redis.hlen(k.admittedAt)).toBe(countAtPause);
    // Every waiting socket saw the paused state.
    await until(
      () => joined.slice(-5).every((j) => j.c.messages.some((m) => m.t === 'state' && m.st === 'paused')),
      2000,
      'paused frames',
    );

    // Rate 2/s → 20/s on resume: the next second admits ~20, not ~2.
    await updateEvent(t.fx.redis, t.fx.prefix, evt, { rate: 20, burst: 1 });
    await setEventState(t.fx.redis, t.fx.prefix, evt, 'open');
    const resumedAt = Date.now();
    await until(
      async () => (await t.fx.redis.hlen(k.admittedAt)) >= countAtPause + 10,
      2000,
      'faster admissions within 1 s of the change',
    );
    const firstFast = Math.min(
      ...Object.values(await t.fx.redis.hgetall(k.admittedAt))
        .map(Number)
        .filter((t) => t > pausedAt + 1000),
    );
    expect(firstFast - resumedAt).toBeLessThanOrEqual(1000);

    // Reconnect: a waiting shopper closes and comes back (maybe on the other process).
    await setEventState(t.fx.redis, t.fx.prefix, evt, 'paused');
    const last = joined.at(-1)!;
    const welcome = last.c.messages.find((m) => m.t === 'welcome')!;
    last.c.close();
    await last.c.closed;
    for (let i = 0; i < 4; i++) {
      const c = await connect(wsUrl(evt));
      c.send({ t: 'join', place: (welcome as { place: string }).place });
      expect(await c.next('welcome')).toMatchObject({
        placeId: last.placeId,
        score: last.score,
        resumed: true,
      });
      c.close();
      await c.closed;
    }
    for (const j of joined) j.c.close();
  }, 120_000);

  it('closes sockets with GOING_AWAY on SIGTERM and removes its gates entries', async () => {
    t.gate = await spawnGate(t.fx.prefix, 2);
    const ev = await makeEvent(t.fx.redis, t.fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(
      async () => (await t.fx.redis.hget(eventKeys(t.fx.prefix, evt).event, 'state')) === 'open',
      10_000,
      'event open',
    );
    const [j] = await joinN(evt, 1);
    const code = await t.gate.stop();
    expect(code).toBe(0);
    expect((await j!.c.closed).code).toBe(CloseCode.GOING_AWAY);
    expect(await t.fx.redis.hlen(globalKeys(t.fx.prefix).gates)).toBe(0);
    expect(await t.fx.redis.get(eventKeys(t.fx.prefix, evt).leader)).toBeNull();
    t.gate = undefined;
  }, 60_000);
});
