// Events with bindTickets at the gate: a join must name the browser's public key, the place is
// bound to it for good (a copied place token or cid used with another key is refused with
// KEY_REFUSED), and the ticket, over WebSocket or the HTTP fallback, carries its thumbprint.
import { CloseCode, decodeUnverified, eventKeys, GatePaths, PLACE_HEADER, updateEvent } from '@sluice/shared';
import { makeTestKey } from '@sluice/shared/testing/dpop.ts';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let evt: string;

beforeAll(async () => {
  fx = await redisFixture();
  gate = await testGate(fx.prefix);
  evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true, bindTickets: true })).config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'open');
});
afterAll(async () => {
  await gate?.close();
  await fx?.cleanup();
});

const cnfOf = (ticket: string) => (decodeUnverified(ticket)!.payload as { cnf?: { jkt: string } }).cnf?.jkt;

async function closeOf(msg: Record<string, unknown>): Promise<number> {
  const c = await connect(gate.ws(evt));
  c.send({ t: 'join', ...msg });
  return (await c.closed).code;
}

describe('bound places and tickets', () => {
  it('binds a place to the first key and refuses the others; the ticket names that key', async () => {
    const owner = await makeTestKey();
    const thief = await makeTestKey();
    expect(await closeOf({ cid: 'nokey-000001' })).toBe(CloseCode.KEY_REFUSED);
    expect(await closeOf({ cid: 'badkey-00001', jwk: { kty: 'RSA', n: 'x', e: 'AQAB' } })).toBe(
      CloseCode.KEY_REFUSED,
    );
    expect(await closeOf({ cid: 'prvkey-00001', jwk: { ...owner.jwk, d: 'A'.repeat(43) } })).toBe(
      CloseCode.KEY_REFUSED,
    );

    const c = await connect(gate.ws(evt));
    c.send({ t: 'join', cid: 'owner-000001', jwk: owner.jwk });
    const w = await c.next('welcome');
    // The keyless joins above created no place.
    expect(await fx.redis.zcard(eventKeys(fx.prefix, evt).queue)).toBe(1);
    // The place token and the cid copied to another browser (another key): refused, place kept.
    expect(await closeOf({ place: w.place, jwk: thief.jwk })).toBe(CloseCode.KEY_REFUSED);
    expect(await closeOf({ cid: 'owner-000001', jwk: thief.jwk })).toBe(CloseCode.KEY_REFUSED);
    const http = await fetch(`${gate.http}${GatePaths.join(evt)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ place: w.place, jwk: thief.jwk }),
    });
    expect(http.status).toBe(403);

    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    const admitted = await c.next('admitted', 10_000);
    expect(cnfOf(admitted.ticket)).toBe(owner.jkt);
    // Polling with the copied place token gets the ticket bound to the owner's key, not the thief's.
    const polled = await fetch(`${gate.http}${GatePaths.place(evt)}`, {
      headers: { [PLACE_HEADER]: w.place },
    });
    const body = (await polled.json()) as { ticket?: string };
    expect(cnfOf(body.ticket!)).toBe(owner.jkt);
    c.close();
  });
});
