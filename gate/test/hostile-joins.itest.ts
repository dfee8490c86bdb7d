// Hostile crowd at the gate (issue 13), in-process against the real Redis over real WebSockets:
// one solved proof of work is one join, a challenge is bound to its client id, rotating client
// ids does not buy places past the per-address cap, a client id alone never gets an admitted
// place's ticket, sockets per address are capped, and a surge of joins raises the difficulty.
import { CloseCode, updateEvent, validateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { solvePow } from '../src/abuse/pow.ts';
import { type Client, connect, upgradeStatus } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>> | undefined;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await gate?.close();
  gate = undefined;
  await fx.cleanup();
});

async function openEvent(env: Record<string, string>, patch: Record<string, unknown>): Promise<string> {
  gate = await testGate(fx.prefix, env);
  const evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true, ...patch })).config.id;
  const g = gate;
  await until(() => g.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  return evt;
}

async function challenge(evt: string, cid: string): Promise<{ challenge: string; difficulty: number }> {
  const res = await fetch(`${gate!.http}/v1/events/${evt}/challenge?cid=${cid}`);
  expect(res.status).toBe(200);
  return res.json() as Promise<{ challenge: string; difficulty: number }>;
}

/** Send a join; the welcome, or the close code when refused. */
async function join(
  evt: string,
  msg: Record<string, unknown>,
): Promise<{ c: Client; code: number; welcome?: { place: string; placeId: string; phase: string } }> {
  const c = await connect(gate!.ws(evt));
  c.send({ t: 'join', ...msg });
  return Promise.race([
    c.next('welcome', 10_000).then((welcome) => ({ c, code: 0, welcome })),
    c.closed.then((x) => ({ c, code: x.code })),
  ]);
}

const cidOf = (i: number) => `rotating-cid-${String(i).padStart(4, '0')}`;

describe('proof of work is single use and bound', () => {
  it('one solution buys one join: replays with rotating client ids are refused', async () => {
    const evt = await openEvent({}, { powDifficulty: 8 });
    const ch = await challenge(evt, cidOf(0));
    const pow = { challenge: ch.challenge, nonce: solvePow(ch.challenge, ch.difficulty) };
    const results: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await join(evt, { cid: cidOf(i), pow });
      results.push(r.code);
      r.c.close();
    }
    // Before: 20 of 20 joins with one solution.
    expect(results[0]).toBe(0);
    expect(results.slice(1).every((code) => code === CloseCode.POW_INVALID)).toBe(true);
  });

  it('the same client id cannot spend a solution twice (after leaving) nor use one issued for another id', async () => {
    const evt = await openEvent({}, { powDifficulty: 8 });
    const ch = await challenge(evt, cidOf(1));
    const pow = { challenge: ch.challenge, nonce: solvePow(ch.challenge, ch.difficulty) };
    const first = await join(evt, { cid: cidOf(1), pow });
    expect(first.code).toBe(0);
    first.c.send({ t: 'leave' });
    expect((await first.c.closed).code).toBe(CloseCode.LEFT);
    const again = await join(evt, { cid: cidOf(1), pow });
    expect(again.code).toBe(CloseCode.POW_INVALID);
    const other = await challenge(evt, cidOf(2));
    const stolen = { challenge: other.challenge, nonce: solvePow(other.challenge, other.difficulty) };
    expect((await join(evt, { cid: cidOf(3), pow: stolen })).code).toBe(CloseCode.POW_INVALID);
    expect((await join(evt, { cid: cidOf(2), pow: stolen })).code).toBe(0);
  });

  it('the default difficulty is above zero', async () => {
    const d = validateEvent({
      id: 'x',
      name: 'x',
      startAt: 1,
      products: [{ sku: 'a', name: 'a', priceCents: 1, stock: 1 }],
    });
    expect(d.powDifficulty).toBeGreaterThanOrEqual(12);
    const evt = await openEvent(
      {},
      { powDifficulty: d.powDifficulty, powSurgeDifficulty: d.powSurgeDifficulty },
    );
    expect((await join(evt, { cid: cidOf(4) })).code).toBe(CloseCode.POW_INVALID);
  });

  it('raises the difficulty while joins per second exceed the event threshold', async () => {
    const evt = await openEvent({}, { powDifficulty: 0, powSurgeJoinsPerS: 2, powSurgeDifficulty: 6 });
    expect((await challenge(evt, cidOf(5))).difficulty).toBe(0);
    const quiet = await challenge(evt, cidOf(5));
    for (let i = 0; i < 40; i++) (await join(evt, { cid: cidOf(100 + i) })).c.close();
    const surge = await challenge(evt, cidOf(6));
    expect(surge.difficulty).toBe(6);
    // A join with an easy solution issued before the surge is refused while it lasts.
    const easy = { challenge: quiet.challenge, nonce: solvePow(quiet.challenge, 0) };
    expect((await join(evt, { cid: cidOf(5), pow: easy })).code).toBe(CloseCode.POW_INVALID);
    const hard = { challenge: surge.challenge, nonce: solvePow(surge.challenge, 6) };
    expect((await join(evt, { cid: cidOf(6), pow: hard })).code).toBe(0);
  });
});

describe('places and sockets per address', () => {
  it('rotating client ids does not buy more than GATE_MAX_PLACES_PER_IP live places', async () => {
    const evt = await openEvent({ GATE_MAX_PLACES_PER_IP: '3' }, {});
    const joined: Awaited<ReturnType<typeof join>>[] = [];
    for (let i = 0; i < 6; i++) joined.push(await join(evt, { cid: cidOf(200 + i) }));
    // Before: every rotated client id got a place.
    expect(joined.map((j) => j.code)).toEqual([
      0,
      0,
      0,
      CloseCode.RATE_LIMITED,
      CloseCode.RATE_LIMITED,
      CloseCode.RATE_LIMITED,
    ]);
    // The same client id resumes its place (no new one): allowed at the cap.
    const again = await join(evt, { cid: cidOf(200) });
    expect(again.code).toBe(0);
    expect(again.welcome?.placeId).toBe(joined[0]!.welcome?.placeId);
    // A place that leaves frees its slot.
    joined[1]!.c.send({ t: 'leave' });
    await joined[1]!.c.closed;
    expect((await join(evt, { cid: cidOf(300) })).code).toBe(0);
  });

  it('caps open sockets per address (GATE_MAX_SOCKETS_PER_IP)', async () => {
    const evt = await openEvent({ GATE_MAX_SOCKETS_PER_IP: '2' }, {});
    const a = await connect(gate!.ws(evt));
    const b = await connect(gate!.ws(evt));
    expect(await upgradeStatus(gate!.ws(evt), 'https://shop.example')).toBe(429);
    a.close();
    await a.closed;
    await until(
      async () => (await upgradeStatus(gate!.ws(evt), 'https://shop.example')) === 101,
      5000,
      'slot freed',
    );
    b.close();
  });
});

describe('a client id alone does not get an admitted ticket', () => {
  it('resuming an admitted place needs its place token', async () => {
    const evt = await openEvent({}, {});
    const first = await join(evt, { cid: cidOf(400) });
    expect(first.code).toBe(0);
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    await first.c.next('admitted');
    first.c.close();
    await first.c.closed;
    // Before: a new socket with the same cid got `welcome` (admitted) and the ticket.
    const byCid = await join(evt, { cid: cidOf(400) });
    expect(byCid.code).toBe(CloseCode.PLACE_INVALID);
    expect(byCid.c.messages.some((m) => m.t === 'admitted')).toBe(false);
    const byToken = await join(evt, { cid: cidOf(400), place: first.welcome!.place });
    expect(byToken.code).toBe(0);
    expect((await byToken.c.next('admitted')).ticket).toMatch(/^ey/);
    byToken.c.close();
  });
});
