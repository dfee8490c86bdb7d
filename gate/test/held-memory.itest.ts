// What a held socket leaves in the gate's memory (issue 11 item 4): a waiting shopper should
// cost its socket, its user data and one registry entry, nothing that grows with every sweep.
// The periodic re-check of admissions (tickets/recheck.ts) used to remember every waiting place
// it had looked up, one map entry per held socket between sweeps. Real Redis, real WebSockets.
import { eventKeys } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Client, connect } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
const clients: Client[] = [];

beforeEach(async () => {
  fx = await redisFixture();
  // Every test client joins from 127.0.0.1: allow them all.
  gate = await testGate(fx.prefix, { GATE_JOIN_RATE_PER_IP: '1000' });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await gate.close();
  await fx.cleanup();
});

it('keeps no per-place memory for waiting sockets beyond the registry after a periodic re-check', async () => {
  // Open, release stopped: every socket waits in the line and gets every state frame.
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, rate: 0, maxActive: 1 });
  const evt = ev.config.id;
  const n = 40;
  const state = () => fx.redis.hget(eventKeys(fx.prefix, evt).event, 'state');
  await until(async () => (await state()) === 'open', 15_000, 'event open');
  for (let i = 0; i < n; i++) {
    const c = await connect(gate.ws(evt));
    clients.push(c);
    c.send({ t: 'join' });
    const w = await c.next('welcome').catch(async (err) => {
      throw new Error(`${err.message}: closed ${JSON.stringify(await c.closed)}`);
    });
    expect(w.phase).toBe('queue');
  }
  await until(() => gate.ctx.sockets.byEvent.get(evt)?.size === n, 10_000, 'all sockets registered');
  await gate.ctx.recheck.full();
  await gate.ctx.recheck.full();
  expect(gate.ctx.sockets.byEvent.get(evt)?.size).toBe(n);
  expect(gate.ctx.sockets.awaitingJoin.size).toBe(0);
  // Before: 40 (one entry per waiting place, kept from one sweep to the next).
  expect(gate.ctx.recheck.remembered).toBe(0);
});
