// GATE_ADMITTER=dedicated (issue 14 item 5): the supervisor runs the socket workers without an
// admitter and one more process that runs only the admitter, so no shopper's socket work delays
// its ticks. Real processes and Redis: the lease is held by a process that holds no socket and
// does not listen on the public port; every shopper is admitted once, in order; after kill -9 of
// that process the supervisor's replacement takes the lease and admission resumes.
import { eventKeys, globalKeys, subscriberOf, updateEvent } from '@sluice/shared';
import { expect, it } from 'vitest';
import { connect } from './client.ts';
import { makeEvent, until } from './helpers.ts';
import { spawnedGatePerTest, spawnGate } from './spawn.ts';

const t = spawnedGatePerTest();

/** pid → sockets, as each gate process reports it in the `gates` hash. */
async function socketsByPid(): Promise<Map<number, number>> {
  const h = await t.fx.redis.hgetall(globalKeys(t.fx.prefix).gates);
  const out = new Map<number, number>();
  for (const [id, v] of Object.entries(h)) {
    if (id === '*') continue;
    const pid = Number(id.split(':').at(-1));
    let sockets = 0;
    try {
      sockets = Number((JSON.parse(v) as { sockets?: number }).sockets ?? 0);
    } catch {
      sockets = 0; // a field that is not a report: counted as no sockets
    }
    if (Number.isFinite(pid)) out.set(pid, sockets);
  }
  return out;
}

it('runs the admitter in a process of its own that holds no socket, and replaces it after kill -9', async () => {
  t.gate = await spawnGate(t.fx.prefix, 3, { GATE_WORKERS: '2', GATE_ADMITTER: 'dedicated', GATE_LEADER_TTL_MS: '1000', GATE_TICK_MS: '100' });
  const ev = await makeEvent(t.fx.redis, t.fx.prefix, { queueAll: true, rate: 20, burst: 1 });
  const evt = ev.config.id;
  const k = eventKeys(t.fx.prefix, evt);
  await until(async () => (await t.fx.redis.get(k.leader)) !== null, 20_000, 'a leader');
  await until(async () => (await socketsByPid()).size === 3, 20_000, 'three processes reporting');

  const clients = [];
  const scores = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const c = await connect(`ws://127.0.0.1:${t.gate.port}/v1/events/${evt}/ws`);
    c.send({ t: 'join' });
    const w = await c.next('welcome');
    scores.set(w.placeId, w.score!);
    clients.push(c);
  }
  const leader = (await t.fx.redis.get(k.leader))!;
  const leaderPid = Number(leader.split(':')[1]);
  await until(async () => [...(await socketsByPid()).values()].reduce((a, b) => a + b, 0) === 30, 10_000, 'sockets reported');
  const byPid = await socketsByPid();
  // The leader is one of the gate's processes and holds none of the 30 sockets: they are all on
  // the two socket workers, which are not the leader.
  expect(byPid.has(leaderPid)).toBe(true);
  expect(byPid.get(leaderPid)).toBe(0);
  expect([...byPid].filter(([pid, n]) => pid !== leaderPid && n > 0).length).toBeGreaterThan(0);

  const sub = subscriberOf(t.fx.redis);
  const published: string[] = [];
  await sub.ssubscribe(k.admitChannel);
  sub.onMessage((_c, m) => published.push(...(JSON.parse(m) as { ids: string[] }).ids));
  await updateEvent(t.fx.redis, t.fx.prefix, evt, { queueAll: false });
  await until(() => published.length >= 10, 20_000, 'first admissions');

  process.kill(leaderPid, 'SIGKILL');
  await until(
    async () => {
      const l = await t.fx.redis.get(k.leader);
      return l !== null && l !== leader;
    },
    60_000,
    'a new leader',
  );
  const next = Number((await t.fx.redis.get(k.leader))!.split(':')[1]);
  await until(() => published.length === 30, 60_000, 'everyone admitted');
  // The new leader is the supervisor's replacement: a process holding no socket either.
  expect(next).not.toBe(leaderPid);
  expect((await socketsByPid()).get(next) ?? 0).toBe(0);
  expect(new Set(published).size).toBe(30);
  const order = published.map((id) => scores.get(id)!);
  expect(order.every((s, i) => i === 0 || s > order[i - 1]!)).toBe(true);
  expect(Number(await t.fx.redis.hget(k.stats, 'admittedTotal'))).toBe(30);
  sub.close();
  for (const c of clients) c.close();
}, 180_000);
