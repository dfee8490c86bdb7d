// Cases 2 and 3, kill -9 inside a real gate cluster (gate/src/main.ts, three uWS worker processes
// on one port, the real Redis).
// 2: kill -9 of one gate process (not the admitter) while shoppers keep joining: its shoppers
//    reconnect (to another process or the supervisor's replacement) with their place token and
//    keep their place and number; a shopper who never comes back keeps the place too (a killed
//    process marks nothing absent) and is admitted in turn.
// 3: kill -9 of the process holding the admitter lease: another takes over within 3 s, nobody is
//    admitted twice, and admissions stay within the rate budget (burst + rate × time).
import { eventKeys, globalKeys, subscriberOf, updateEvent, type WelcomeMsg } from '@sluice/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { type SpawnedGate, spawnGateCluster } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

let s: Stores;
let gate: SpawnedGate | undefined;
const clients: Client[] = [];

beforeEach(async () => {
  s = await openStores();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await gate?.stop();
  gate = undefined;
  await s.cleanup();
});

const reporting = async () =>
  Object.keys(await s.redis.hgetall(globalKeys(s.prefix).gates)).map((f) => Number(f.split(':').at(-1)));

async function shopper(url: string, place?: string): Promise<{ c: Client; w: WelcomeMsg }> {
  const c = await connect(url);
  clients.push(c);
  c.send(place ? { t: 'join', place } : { t: 'join' });
  return { c, w: await c.next('welcome', 20_000) };
}

describe('kill -9 in the gate cluster', () => {
  it('case 2: shoppers of a killed gate process reconnect elsewhere and keep their place', async () => {
    gate = await spawnGateCluster(s, 3, { GATE_LEADER_TTL_MS: '2000' });
    const evt = (await makeEvent(s.redis, s.prefix, { queueAll: true, rate: 50, burst: 10 })).config.id;
    const k = eventKeys(s.prefix, evt);
    const url = `ws://127.0.0.1:${gate.port}/v1/events/${evt}/ws`;
    await until(async () => (await s.redis.hget(k.event, 'state')) === 'open', 15_000, 'open');
    await until(async () => (await reporting()).length === 3, 15_000, 'three gate processes');
    const joined: { c: Client; w: WelcomeMsg }[] = [];
    for (let i = 0; i < 90; i++) joined.push(await shopper(url));
    // Load: more shoppers keep arriving during the kill.
    let arriving = true;
    const late: WelcomeMsg[] = [];
    const arrivals = (async () => {
      while (arriving) {
        try {
          late.push((await shopper(url)).w);
        } catch {
          // A connection the kernel handed to the process being killed is reset: a real page
          // retries (with backoff), and so does this one.
        }
        await sleep(30);
      }
    })();

    const leader = (await s.redis.get(k.leader)) ?? '';
    const victim = (await reporting()).find((pid) => !leader.includes(`:${pid}:`))!;
    process.kill(victim, 'SIGKILL');
    const killedAt = Date.now();
    // Its sockets drop (1006); the others stay open.
    await until(() => joined.some((j) => j.c.ws.readyState === j.c.ws.CLOSED), 10_000, 'sockets of the killed process close');
    await sleep(500);
    const dropped = joined.filter((j) => j.c.ws.readyState === j.c.ws.CLOSED);
    const kept = joined.filter((j) => j.c.ws.readyState === j.c.ws.OPEN);
    expect(dropped.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect((await Promise.all(dropped.map((d) => d.c.closed))).every((x) => x.code === 1006)).toBe(true);

    // One dropped shopper never comes back; the others reconnect with their place token.
    const [gone, ...back] = dropped;
    const resumed = [];
    for (const d of back) resumed.push((await shopper(url, d.w.place)).w);
    for (const [i, d] of back.entries()) {
      expect(resumed[i]).toMatchObject({ placeId: d.w.placeId, score: d.w.score, resumed: true });
    }
    arriving = false;
    await arrivals;
    expect(late.length).toBeGreaterThan(0);
    // The line is intact: everyone still in it once, the one who did not return included. The
    // killed process marked nothing; once its heartbeat lapsed (3 s) the admitter's reaper marked
    // the places it held absent as of that heartbeat, before the kill (docs/ARCHITECTURE.md,
    // "Liveness"), so the one who did not return is dropped after graceS (60 s here) if still away.
    // Those who came back hold their place on a live process: none of them is marked absent,
    // whether the reaper ran before or after they reconnected.
    const queue = await s.redis.zrange(k.queue, 0, -1);
    expect(new Set(queue).size).toBe(queue.length);
    for (const j of joined) expect(queue).toContain(j.w.placeId);
    await until(async () => (await s.redis.zscore(k.absent, gone!.w.placeId)) !== null, 20_000, 'the reaper marks the gone place');
    expect(Number(await s.redis.zscore(k.absent, gone!.w.placeId))).toBeLessThanOrEqual(killedAt);
    const marked = (await Promise.all(back.map((d) => s.redis.zscore(k.absent, d.w.placeId)))).filter((x) => x !== null);
    expect(marked, 'reconnected places marked absent').toEqual([]);
    expect(queue.length).toBe(joined.length + late.length);
    // The supervisor replaced the dead process.
    await until(async () => (await reporting()).filter((p) => p !== victim).length === 3, 20_000, 'replacement process');

    // Open the gate: everyone is admitted exactly once, in ticket-number order; the absent
    // shopper too (its ticket is signed and never delivered; it expires after ticketTtlS).
    const published: string[] = [];
    const sub = subscriberOf(s.redis);
    await sub.ssubscribe(k.admitChannel);
    sub.onMessage((_c, m) => published.push(...(JSON.parse(m) as { ids: string[] }).ids));
    await updateEvent(s.redis, s.prefix, evt, { queueAll: false });
    await until(() => published.length === queue.length, 60_000, 'everyone admitted');
    expect(new Set(published).size).toBe(published.length);
    expect(published).toContain(gone!.w.placeId);
    const scores = new Map([...joined.map((j) => [j.w.placeId, j.w.score!] as const), ...late.map((w) => [w.placeId, w.score!] as const)]);
    const order = published.map((id) => scores.get(id)!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    sub.close();
  }, 240_000);

  it('case 3: kill -9 of the admitter: takeover within 3 s, nobody admitted twice, within the rate budget', async () => {
    const RATE = 20;
    const BURST = 5;
    gate = await spawnGateCluster(s, 3, { GATE_LEADER_TTL_MS: '2000', GATE_TICK_MS: '100' });
    const evt = (await makeEvent(s.redis, s.prefix, { queueAll: true, rate: RATE, burst: BURST })).config.id;
    const k = eventKeys(s.prefix, evt);
    const url = `ws://127.0.0.1:${gate.port}/v1/events/${evt}/ws`;
    await until(async () => (await s.redis.hget(k.event, 'state')) === 'open', 15_000, 'open');
    await until(async () => (await reporting()).length === 3, 15_000, 'three gate processes');
    const joined: { c: Client; w: WelcomeMsg }[] = [];
    for (let i = 0; i < 150; i++) joined.push(await shopper(url));

    const ticks: { at: number; ids: string[]; fence: number }[] = [];
    const sub = subscriberOf(s.redis);
    await sub.ssubscribe(k.admitChannel);
    sub.onMessage((_c, m) => {
      const msg = JSON.parse(m) as { ids: string[]; fence: number };
      ticks.push({ at: Date.now(), ids: msg.ids, fence: msg.fence });
    });
    await updateEvent(s.redis, s.prefix, evt, { queueAll: false });
    const openedAt = Date.now();
    await until(() => ticks.flatMap((t) => t.ids).length >= 40, 30_000, 'admissions under the first leader');

    const leader = (await s.redis.get(k.leader))!;
    const pid = Number(leader.split(':')[1]);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const before = ticks.length;
    await until(() => ticks.length > before && ticks.at(-1)!.fence !== ticks[before - 1]!.fence, 15_000, 'a new admitter');
    const takeover = ticks[before]!.at - killedAt;
    // Lease 2 s + one tick; the rest is slack for a loaded machine's timers.
    expect(takeover).toBeLessThan(3000);

    await until(() => ticks.flatMap((t) => t.ids).length >= joined.length, 60_000, 'everyone admitted');
    const all = ticks.flatMap((t) => t.ids);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(joined.length);
    expect(Number(await s.redis.hget(k.stats, 'admittedTotal'))).toBe(joined.length);
    // Rate budget: in every stretch [t_i, t_j] no more than burst + rate × (t_j − t_i) + one
    // tick's worth were admitted, across the leader change.
    const slackTickS = 0.25;
    for (let i = 0; i < ticks.length; i++) {
      let n = 0;
      for (let j = i; j < ticks.length; j++) {
        n += ticks[j]!.ids.length;
        const budget = BURST + RATE * ((ticks[j]!.at - ticks[i]!.at) / 1000 + slackTickS);
        expect(n, `admitted between tick ${i} and ${j}`).toBeLessThanOrEqual(Math.ceil(budget));
      }
    }
    const seconds = (ticks.at(-1)!.at - openedAt) / 1000;
    expect(all.length).toBeLessThanOrEqual(BURST + RATE * (seconds + slackTickS));
    sub.close();
  }, 240_000);
});
