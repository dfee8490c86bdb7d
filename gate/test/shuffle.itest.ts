// The pre-queue shuffle end to end: shoppers join the pre-queue over WebSocket, the sale opens,
// each learns its number; the published member list + revealed seed reproduce every number
// through the verifier script (run as a separate process, as an outsider would).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifyShuffle } from '../scripts/verify-shuffle.ts';
import { connect } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

const SCRIPT = fileURLToPath(new URL('../scripts/verify-shuffle.ts', import.meta.url));
let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
beforeEach(async () => {
  fx = await redisFixture();
  gate = await testGate(fx.prefix);
});
afterEach(async () => {
  await gate.close();
  await fx.cleanup();
});

it('numbers the pre-queue in an order anyone can recompute from the revealed seed', async () => {
  const now = Date.now();
  const ev = await makeEvent(
    fx.redis,
    fx.prefix,
    { prequeueAt: now, startAt: now + 2500, queueAll: true },
    now,
  );
  const evt = ev.config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'prequeue', 5000, 'pre-queue');
  const before = await (await fetch(`${gate.http}/v1/events/${evt}/prequeue`)).json();
  expect(before.seed).toBeNull();
  expect(before.seedHash).toBe(ev.seedHash);
  const clients = [];
  for (let i = 0; i < 12; i++) {
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join' });
    const w = await c.next('welcome');
    expect(w.phase).toBe('prequeue');
    expect(w.score).toBeNull();
    clients.push({ c, placeId: w.placeId });
  }
  const places = await Promise.all(
    clients.map(async (x) => ({ placeId: x.placeId, score: (await x.c.next('place', 15_000)).score })),
  );
  const published = await (await fetch(`${gate.http}/v1/events/${evt}/prequeue`)).json();
  expect(published.members).toHaveLength(12);
  const r = verifyShuffle(published);
  if (!r.ok) throw new Error(r.error);
  for (const p of places) expect(r.order.indexOf(p.placeId) + 1).toBe(p.score);
  // The script, as a separate process, against the live endpoint.
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    SCRIPT,
    `${gate.http}/v1/events/${evt}/prequeue`,
  ]);
  expect(stdout.trim().split('\n')).toEqual(r.order);
  // A wrong seed is caught.
  expect(verifyShuffle({ ...published, seed: 'ab'.repeat(32) }).ok).toBe(false);
  for (const x of clients) x.c.close();
});
