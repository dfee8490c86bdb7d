// Revocation at the gate (issue 13), in-process against the real Redis over real WebSockets and
// HTTP, revoking through the dashboard's own action: a revoked place leaves the line at once (its
// socket closed with REVOKED), is never admitted, and gets no ticket — not on reconnect with its
// place token, not by its client id, not by polling, not when its admission raced the revocation.
import {
  CloseCode,
  eventKeys,
  GateRevocations,
  type Pool,
  SluiceError,
  updateEvent,
  verifyAdmission,
} from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeAction } from '../../dashboard/src/admin/actions.ts';
import { type Client, connect } from './client.ts';
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

const revoke = (evt: string, placeId: string) =>
  revokeAction(
    { redis: fx.redis, pool: undefined as unknown as Pool, prefix: fx.prefix, kek: undefined as never },
    evt,
    'place',
    placeId,
    Date.now(),
  );

async function openEvent(): Promise<string> {
  const evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true })).config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  return evt;
}

async function join(
  evt: string,
  msg: Record<string, unknown>,
): Promise<{ c: Client; code: number; placeId?: string; place?: string }> {
  const c = await connect(gate.ws(evt));
  c.send({ t: 'join', ...msg });
  return Promise.race([
    c.next('welcome', 10_000).then((w) => ({ c, code: 0, placeId: w.placeId, place: w.place })),
    c.closed.then((x) => ({ c, code: x.code })),
  ]);
}

describe('revocation at the gate', () => {
  it('a revoked waiting place leaves the line at once and is never admitted, whatever it tries', async () => {
    const evt = await openEvent();
    const k = eventKeys(fx.prefix, evt);
    const victim = await join(evt, { cid: 'revoked-shopper-1' });
    const other = await join(evt, { cid: 'honest-shopper-1' });
    expect(victim.code).toBe(0);
    await revoke(evt, victim.placeId!);
    // Before: the socket stayed open and the place kept its position.
    expect((await victim.c.closed).code).toBe(CloseCode.REVOKED);
    expect(await fx.redis.zscore(k.queue, victim.placeId!)).toBeNull();
    // Coming back with the place token or the client id is refused with the same code.
    expect((await join(evt, { cid: 'revoked-shopper-1', place: victim.place })).code).toBe(CloseCode.REVOKED);
    expect((await join(evt, { cid: 'revoked-shopper-1' })).code).toBe(CloseCode.REVOKED);
    const poll = await fetch(`${gate.http}/v1/events/${evt}/place`, {
      headers: { 'x-sluice-place': victim.place! },
    });
    expect(poll.status).not.toBe(200);
    // The line moves: the honest shopper is admitted, the revoked place never.
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    expect((await other.c.next('admitted')).ticket).toMatch(/^ey/);
    expect(await fx.redis.zscore(k.admitted, victim.placeId!)).toBeNull();
    expect(await fx.redis.hget(k.admittedAt, victim.placeId!)).toBeNull();
    other.c.close();
  });

  it('a revoked admitted place gets no ticket on reconnect or poll, and its slot is freed', async () => {
    const evt = await openEvent();
    const k = eventKeys(fx.prefix, evt);
    const j = await join(evt, { cid: 'revoked-shopper-2' });
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    await j.c.next('admitted');
    j.c.close();
    await j.c.closed;
    await revoke(evt, j.placeId!);
    expect(await fx.redis.zscore(k.admitted, j.placeId!)).toBeNull();
    // Before: the reconnect with the place token was re-sent the ticket.
    const back = await join(evt, { place: j.place });
    expect(back.code).toBe(CloseCode.REVOKED);
    expect(back.c.messages.some((m) => m.t === 'admitted')).toBe(false);
    const poll = await fetch(`${gate.http}/v1/events/${evt}/place`, {
      headers: { 'x-sluice-place': j.place! },
    });
    expect(poll.status).not.toBe(200);
    expect(await poll.text()).not.toContain('"ticket"');
  });

  it('an admission that raced the revocation hands no ticket (the gate reads `revoked` first)', async () => {
    const evt = await openEvent();
    const k = eventKeys(fx.prefix, evt);
    const j = await join(evt, { cid: 'revoked-shopper-3' });
    // The mark is written, but this gate has not heard of it (no control message, place still in
    // the line): as when the admitter released it a moment before the operator's revocation.
    await fx.redis.hset(k.revoked, j.placeId!, Date.now());
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    expect((await j.c.closed).code).toBe(CloseCode.REVOKED);
    expect(j.c.messages.some((m) => m.t === 'admitted')).toBe(false);
  });

  it('storefront helpers refuse a revoked ticket from the list the gate publishes (ids only, no client ids)', async () => {
    const evt = await openEvent();
    const j = await join(evt, { cid: 'revoked-shopper-4' });
    await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
    const { ticket } = await j.c.next('admitted');
    const revocations = new GateRevocations(gate.http, { refreshMs: 200 });
    await revocations.refresh(evt);
    const opts = {
      jwksUrl: `${gate.http}/.well-known/jwks.json`,
      audience: 'sluice-checkout',
      event: evt,
      revocations,
    };
    expect((await verifyAdmission(ticket, opts)).jti).toBe(j.placeId);
    await revoke(evt, j.placeId!);
    const listOf = async () =>
      (await (await fetch(`${gate.http}/v1/events/${evt}/revoked`)).json()) as { ids: string[] };
    // The gate serves the list from a 1 s cache.
    const list = await until(
      async () => {
        const l = await listOf();
        return l.ids.length > 0 ? l : null;
      },
      5000,
      'the revocation listed',
    );
    expect(list?.ids).toEqual([j.placeId]);
    expect(JSON.stringify(list)).not.toContain('revoked-shopper-4');
    // Before: verifyAdmission had no way to learn of a revocation and accepted the ticket.
    await until(
      async () => {
        try {
          await verifyAdmission(ticket, opts);
          return false;
        } catch (err) {
          return err instanceof SluiceError && err.code === 'TICKET_REVOKED';
        }
      },
      5000,
      'revoked at the storefront',
    );
  });
});
