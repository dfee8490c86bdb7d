// What one WebSocket join costs Redis (issue 11), counted, never timed: the commands the gate's
// client sends (one script call per join: the guard's checks are in the join script) and the
// commands Redis runs for it, scripts included (MONITOR, filtered to this test's key prefix),
// which must not grow with the places the client's address already holds.
import { spawn } from 'node:child_process';
import { heldKey } from '@sluice/shared';
import { type RedisFixture, redisFixture, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Presence } from '../src/queue/presence.ts';
import { type Client, connect } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let sent: { name: string; args: string[] }[];
const open: Client[] = [];

beforeEach(async () => {
  fx = await redisFixture();
  // Every join of this test comes from one address: a cap far above what it joins.
  gate = await testGate(fx.prefix, { GATE_MAX_PLACES_PER_IP: '1000', GATE_JOIN_RATE_PER_IP: '1000' });
  sent = [];
  const redis = gate.ctx.redis as unknown as {
    sendCommand: (c: { name: string; args: unknown[] }, ...rest: unknown[]) => unknown;
  };
  const orig = redis.sendCommand.bind(redis);
  // Every argument passed on: a pipeline (auto-pipelining) hands its own stream as the second.
  redis.sendCommand = (c, ...rest) => {
    sent.push({ name: String(c.name).toLowerCase(), args: c.args.map(String) });
    return orig(c, ...rest);
  };
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await gate.close();
  await fx.cleanup();
});

async function joinOnce(evt: string, i: number): Promise<void> {
  const c = await connect(gate.ws(evt));
  open.push(c);
  c.send({ t: 'join', cid: `cost-shopper-${String(i).padStart(4, '0')}` });
  await c.next('welcome', 10_000);
}

it('a join is one script call, and the Redis commands it runs do not grow with the places its address holds', async () => {
  const evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true })).config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');

  sent = [];
  await joinOnce(evt, 0);
  // Before: the join-guard script, then the join script (two EVALSHA per join).
  const scriptCalls = sent.filter(
    (c) => (c.name === 'evalsha' || c.name === 'eval') && c.args.includes('cost-shopper-0000'),
  );
  expect(scriptCalls).toHaveLength(1);

  // Every command Redis runs for the joins, scripts' commands included. MONITOR lines read
  // `<time> [<db> <client address | lua>] "<command>" "<arg>" ...`; a script's commands follow its
  // EVALSHA line (scripts are atomic), so they are attributed to the call that ran them.
  const monitor = spawn('redis-cli', ['-u', TEST_REDIS_URL, 'monitor'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ran: string[] = [];
  let partial = '';
  let inJoin = false;
  monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^[\d.]+ \[\d+ ([^\]]*)\] "([^"]+)"(.*)$/.exec(line);
      if (!m) continue;
      const [, source, command, args] = m as unknown as [string, string, string, string];
      if (source !== 'lua') inJoin = command.toLowerCase() === 'evalsha' && args.includes('"cost-shopper-');
      if (inJoin) ran.push(command.toLowerCase());
    }
  });
  await new Promise((r) => setTimeout(r, 500));
  try {
    const perJoin = async (from: number, n: number): Promise<number> => {
      const before = ran.length;
      for (let i = from; i < from + n; i++) await joinOnce(evt, i);
      await new Promise((r) => setTimeout(r, 300)); // MONITOR's lines reach us a moment later
      return (ran.length - before) / n;
    };
    const early = await perJoin(1, 10);
    await perJoin(11, 80);
    const late = await perJoin(91, 10);
    // Before: the guard counted the address's live places by reading all of them on every join
    // (3 ZSCORE per place held), so the 100th join ran ~300 more commands than the 2nd.
    expect(late).toBeLessThanOrEqual(early + 2);
    expect(late).toBeLessThan(30);
    expect(early).toBeGreaterThan(3); // the monitor saw the joins
  } finally {
    monitor.kill();
  }
});

it('joins that arrive together share the writes to Redis (auto-pipelining)', async () => {
  const evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true })).config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const clients = await Promise.all(Array.from({ length: 40 }, () => connect(gate.ws(evt))));
  open.push(...clients);
  // Every write the gate's command connection makes to its socket.
  const stream = (gate.ctx.redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
  const write = stream.write.bind(stream);
  let writes = 0;
  stream.write = (...a: unknown[]) => {
    writes++;
    return write(...a);
  };
  try {
    for (const [i, c] of clients.entries())
      c.send({ t: 'join', cid: `batch-shopper-${String(i).padStart(4, '0')}` });
    await Promise.all(clients.map((c) => c.next('welcome', 10_000)));
  } finally {
    stream.write = write;
  }
  // Before: one write per join script call (40 or more).
  expect(writes).toBeLessThan(20);
});

it('joins that arrive together are one script call, and each place is held in its gate presence set', async () => {
  const evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true })).config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const clients = await Promise.all(Array.from({ length: 30 }, () => connect(gate.ws(evt))));
  open.push(...clients);
  sent = [];
  const cids = clients.map((_, i) => `together-shopper-${String(i).padStart(4, '0')}`);
  for (const [i, c] of clients.entries()) c.send({ t: 'join', cid: cids[i] });
  const welcomes = await Promise.all(clients.map((c) => c.next('welcome', 10_000)));
  const calls = sent.filter(
    (c) =>
      (c.name === 'evalsha' || c.name === 'eval') && c.args.some((a) => a.startsWith('together-shopper-')),
  );
  // Before: one join-14 call per join (30).
  expect(calls.length).toBeLessThan(cids.length / 2);
  expect(calls.reduce((n, c) => n + c.args.filter((a) => a.startsWith('together-shopper-')).length, 0)).toBe(
    30,
  );
  // Each place is this gate's to keep alive: in its held set once the presence write ran (100 ms).
  const presence = gate.ctx.sockets.listener as Presence;
  const held = heldKey(fx.prefix, evt, presence.gate);
  const placeIds = welcomes.map((w) => (w as unknown as { placeId: string }).placeId);
  await until(async () => (await fx.redis.smismember(held, ...placeIds)).every((x) => x === 1), 5000, 'held');
});
