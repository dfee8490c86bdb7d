// The gate in-process against the real Redis, over real WebSockets and HTTP: join, state
// frames, admission with tickets that verify against the JWKS, reconnect, leave, bad input.
import {
  CloseCode,
  eventKeys,
  LocalKeys,
  publishControl,
  setEventState,
  TicketVerifier,
  ticketDigest,
  updateEvent,
} from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, upgradeStatus } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

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

async function verifier() {
  const jwks = await (await fetch(`${gate.http}/.well-known/jwks.json`)).json();
  return new TicketVerifier({
    keys: await LocalKeys.from(jwks),
    issuer: 'sluice-gate',
    audience: 'sluice-checkout',
  });
}

describe('gate over WebSocket', () => {
  it('joins, broadcasts state, admits with a ticket that verifies against the JWKS and fails when tampered', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join', cid: 'browser-0001' });
    const w = await c.next('welcome');
    expect(w).toMatchObject({ evt, phase: 'queue', score: 1, resumed: false });
    const frame = await c.next('state');
    expect(frame).toMatchObject({ evt, st: 'open', cfg: 0 });
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    const adm = await c.next('admitted');
    const v = await verifier();
    const claims = await v.verify(adm.ticket, evt);
    expect(claims).toMatchObject({
      sub: w.placeId,
      jti: w.placeId,
      evt,
      aud: 'sluice-checkout',
      iss: 'sluice-gate',
    });
    expect(claims.exp * 1000).toBe(adm.exp);
    // Its digest is on record before it reached the shopper: checkout's purchase script checks it.
    expect(await fx.redis.hget(eventKeys(fx.prefix, evt).ticketHash, w.placeId)).toBe(ticketDigest(adm.ticket));
    const [h, p, s] = adm.ticket.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'someone-else' }),
    ).toString('base64url');
    await expect(v.verify(`${h}.${forged}.${s}`, evt)).rejects.toMatchObject({ code: 'TICKET_SIGNATURE' });
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    await expect(v.verify(`${h}.${p}.${flipped}`, evt)).rejects.toMatchObject({ code: 'TICKET_SIGNATURE' });
    c.close();
  });

  it('keeps the place across a reconnect (place token or client id) and re-sends the ticket to one admitted while away', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const a = await connect(gate.ws(evt));
    a.send({ t: 'join', cid: 'browser-0002' });
    const w1 = await a.next('welcome');
    const other = await connect(gate.ws(evt));
    other.send({ t: 'join', cid: 'browser-0003' });
    await other.next('welcome');
    a.close();
    await a.closed;
    const b = await connect(gate.ws(evt));
    b.send({ t: 'join', place: w1.place });
    const w2 = await b.next('welcome');
    expect(w2).toMatchObject({ placeId: w1.placeId, score: w1.score, resumed: true });
    // Same browser id without the token: still one place.
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join', cid: 'browser-0002' });
    expect(await c.next('welcome')).toMatchObject({ placeId: w1.placeId, resumed: true });
    expect(await fx.redis.zcard(eventKeys(fx.prefix, evt).queue)).toBe(2);
    c.close();
    b.close();
    await b.closed;
    // Admitted while away: the ticket comes on reconnect, with exp from the admission time.
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    await until(
      async () => (await fx.redis.hget(eventKeys(fx.prefix, evt).admittedAt, w1.placeId)) !== null,
      5000,
      'admission',
    );
    const admittedAt = Number(await fx.redis.hget(eventKeys(fx.prefix, evt).admittedAt, w1.placeId));
    const d = await connect(gate.ws(evt));
    d.send({ t: 'join', place: w1.place });
    expect(await d.next('welcome')).toMatchObject({ phase: 'admitted', resumed: true });
    const t = await d.next('admitted');
    expect(t.exp).toBe((Math.floor(admittedAt / 1000) + 600) * 1000);
    expect((await (await verifier()).verify(t.ticket, evt)).sub).toBe(w1.placeId);
    d.close();
    await d.closed;
    // A later reconnect gets the very same ticket (iat is the admission time), still on record.
    await new Promise((r) => setTimeout(r, 1100));
    const e = await connect(gate.ws(evt));
    e.send({ t: 'join', place: w1.place });
    await e.next('welcome');
    expect((await e.next('admitted')).ticket).toBe(t.ticket);
    expect(await fx.redis.hget(eventKeys(fx.prefix, evt).ticketHash, w1.placeId)).toBe(ticketDigest(t.ticket));
    e.close();
    other.close();
  });

  it('frees the place at once on leave', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join' });
    const w = await c.next('welcome');
    c.send({ t: 'leave' });
    expect((await c.closed).code).toBe(CloseCode.LEFT);
    expect(await fx.redis.zscore(eventKeys(fx.prefix, evt).queue, w.placeId)).toBeNull();
    const again = await connect(gate.ws(evt));
    again.send({ t: 'join', place: w.place });
    expect((await again.closed).code).toBe(CloseCode.PLACE_EXPIRED);
  });

  it('answers exact rank at a limited rate', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const cs = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(gate.ws(evt));
      c.send({ t: 'join' });
      await c.next('welcome');
      cs.push(c);
    }
    cs[2]!.send({ t: 'rank' });
    expect((await cs[2]!.next('rank')).ahead).toBe(2);
    cs[2]!.send({ t: 'rank' });
    expect(await cs[2]!.next('error')).toMatchObject({ code: 'RATE_LIMITED' });
    for (const c of cs) c.close();
  });

  it('refuses bad origins (403), unknown events (404) and bad messages with documented close codes', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    expect(await upgradeStatus(gate.ws(evt), 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(gate.ws('no-such-event'), 'https://shop.example')).toBe(404);
    expect(await upgradeStatus(gate.ws('Bad_Id'), 'https://shop.example')).toBe(404);
    const cases: [unknown, number][] = [
      ['not json', CloseCode.BAD_MESSAGE],
      ['[1,2]', CloseCode.BAD_MESSAGE],
      [{ t: 'join', cid: 'x' }, CloseCode.BAD_MESSAGE],
      [{ t: 'rank' }, CloseCode.JOIN_TIMEOUT],
      [{ t: 'join', place: 'forged.token.x' }, CloseCode.PLACE_INVALID],
      [{ t: 'join', cid: 'a'.repeat(64), pad: 'x'.repeat(1200) }, CloseCode.TOO_LARGE],
    ];
    for (const [msg, code] of cases) {
      const c = await connect(gate.ws(evt));
      c.send(msg);
      expect((await c.closed).code, JSON.stringify(msg).slice(0, 40)).toBe(code);
    }
    const big = await connect(gate.ws(evt));
    big.send('x'.repeat(10_000));
    // Beyond twice the limit uWS cuts the connection without reading the rest.
    expect([1006, 1009]).toContain((await big.closed).code);
    const bin = await connect(gate.ws(evt));
    bin.ws.send(Buffer.from('{"t":"join"}'));
    expect((await bin.closed).code).toBe(CloseCode.BAD_MESSAGE);
    // The process is still fine.
    const ok = await connect(gate.ws(evt));
    ok.send({ t: 'join' });
    expect((await ok.next('welcome')).phase).toBe('queue');
    ok.close();
  });

  it('limits joins per address', async () => {
    await gate.close();
    gate = await testGate(fx.prefix, { GATE_JOIN_RATE_PER_IP: '3' });
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await connect(gate.ws(evt));
      c.send({ t: 'join' });
      const r = await Promise.race([c.next('welcome').then(() => 0), c.closed.then((x) => x.code)]);
      codes.push(r);
      c.close();
    }
    expect(codes).toEqual([0, 0, 0, CloseCode.RATE_LIMITED]);
    const res = await fetch(`${gate.http}/v1/events/${evt}/join`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(429);
  });

  it('requires proof of work when the event asks for it', async () => {
    const { solvePow } = await import('../src/abuse/pow.ts');
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, powDifficulty: 8 });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const none = await connect(gate.ws(evt));
    none.send({ t: 'join' });
    expect((await none.closed).code).toBe(CloseCode.POW_INVALID);
    const chRes = await fetch(`${gate.http}/v1/events/${evt}/challenge`);
    const body = await chRes.text();
    expect(chRes.status, body).toBe(200);
    const { challenge, difficulty } = JSON.parse(body);
    expect(difficulty).toBe(8);
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join', pow: { challenge, nonce: solvePow(challenge, difficulty) } });
    expect((await c.next('welcome')).phase).toBe('queue');
    c.close();
  });

  it('tells waiting shoppers sold out at once and closes them', async () => {
    const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
    const evt = ev.config.id;
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join' });
    await c.next('welcome');
    await setEventState(fx.redis, fx.prefix, evt, 'soldout');
    const closed = await c.closed;
    expect(closed.code).toBe(CloseCode.SOLD_OUT);
    expect(c.messages.some((m) => m.t === 'state' && m.st === 'soldout')).toBe(true);
    const late = await connect(gate.ws(evt));
    late.send({ t: 'join' });
    expect((await late.closed).code).toBe(CloseCode.SOLD_OUT);
    await publishControl(fx.redis, fx.prefix, { evt, kind: 'state', version: 99, at: Date.now() });
  });
});
