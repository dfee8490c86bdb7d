// The public admission log end to end: a gate runs a sale in which some shoppers leave the line;
// `verify-admissions`, a separate process with only the gate's HTTP endpoints, finds the log
// intact. Then the log is altered in Redis: one entry edited (the chain breaks), and a re-chained,
// re-signed log admitting a number out of order (the signature holds, the order rule catches it).
import { eventKeys, type LogEntry, runScript, updateEvent, withdrawKey } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinQueue, leaveQueue } from '../src/queue/join.ts';
import { rewriteLog, verifyAdmissions } from './admission-log-support.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let reader: Awaited<ReturnType<typeof testGate>>;
let evt: string;
let k: ReturnType<typeof eventKeys>;
let original: string[];

const verify = () => verifyAdmissions(evt, reader.http);
const rewrite = (lines: string[]) => rewriteLog(fx.redis, fx.prefix, evt, lines);

beforeAll(async () => {
  fx = await redisFixture();
  const runner = await testGate(fx.prefix);
  const ev = await makeEvent(fx.redis, fx.prefix, { rate: 40, burst: 5, queueAll: true });
  evt = ev.config.id;
  k = eventKeys(fx.prefix, evt);
  await until(() => runner.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const places: string[] = [];
  for (let i = 0; i < 60; i++) {
    places.push((await joinQueue(fx.redis, fx.prefix, evt, { cid: `cid-${i}`, resumePlaceId: '', now: Date.now() })).placeId);
  }
  // Five shoppers leave before the line moves: their numbers must show up as gone.
  for (const i of [3, 4, 17, 40, 59]) expect(await leaveQueue(fx.redis, fx.prefix, evt, places[i]!)).toBe(true);
  await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
  await until(async () => (await fx.redis.zcard(k.queue)) === 0, 20_000, 'everyone admitted');
  // A storefront hands one slot back (shopper finished): the next entry counts it.
  await fx.redis.hset(k.ticketHash, places[0]!, 'digest-of-its-ticket');
  expect(await runScript(fx.redis, 'handback', [k.ticketHash, k.admitted, k.used, k.handback, k.stats], [places[0]!, places[0]!, 'digest-of-its-ticket', Date.now(), 'finished'])).toEqual([1, 0]);
  const sealedBack = async () => {
    const n = await fx.redis.llen(k.logHash);
    if (n === 0 || n !== (await fx.redis.llen(k.log))) return false;
    return (await fx.redis.lrange(k.log, 0, -1)).some((l) => (JSON.parse(l) as LogEntry).back === 1);
  };
  await until(sealedBack, 10_000, 'log sealed with the hand-back');
  await runner.close();
  // A gate without an admitter serves the log from now on, so it no longer grows under the test.
  reader = await testGate(fx.prefix, {}, { admitter: false });
  original = await fx.redis.lrange(k.log, 0, -1);
}, 90_000);

afterAll(async () => {
  await reader?.close();
  await fx?.cleanup();
});

describe('public admission log', () => {
  it('verifies from the outside: chain, signature, order, gone numbers and per-tick counts', async () => {
    const r = await verify();
    // Number 60 left too, but nobody was admitted past it: only skipped numbers are recorded gone.
    expect(r.out).toContain('55 admitted, 4 left the line, numbers up to 59, 1 slots handed back');
    expect(r.out).toContain('OK: the log is intact');
    expect(r.code).toBe(0);
  });

  it('answers where a number went: admitted, or gone because its shopper left', async () => {
    const get = async (n: number) => (await fetch(`${reader.http}/v1/events/${evt}/admissions/number/${n}`)).json();
    expect(await get(1)).toMatchObject({ n: 1, status: 'admitted' });
    expect(await get(4)).toMatchObject({ n: 4, status: 'gone' }); // places[3] had number 4
    expect(await get(10_000)).toMatchObject({ status: 'not-reached' });
    // No ticket has number 0: before, it was answered 'unaccounted' and cached for a year.
    expect((await fetch(`${reader.http}/v1/events/${evt}/admissions/number/0`)).status).toBe(400);
  });

  it('catches one edited entry (the chain and the signed head no longer match)', async () => {
    const i = original.findIndex((l) => (JSON.parse(l) as LogEntry).adm.length > 0);
    const e = JSON.parse(original[i]!) as LogEntry;
    await fx.redis.lset(k.log, i, JSON.stringify({ ...e, at: e.at + 1 }));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/chain broken|head hash does not match/);
    await fx.redis.lset(k.log, i, original[i]!);
    expect((await verify()).code).toBe(0);
  });

  it('catches a number admitted out of order even in a log that is re-chained and re-signed', async () => {
    const entries = original.map((l) => JSON.parse(l) as LogEntry);
    const a = entries.findIndex((e) => e.adm.length > 0);
    const b = entries.findIndex((e, j) => j > a && e.adm.length > 0);
    // Swap what two ticks admitted: the later numbers first, the earlier ones after.
    const forged = entries.map((e, j) => {
      if (j === a) return { ...e, adm: entries[b]!.adm, hi: entries[b]!.hi, gone: [] };
      if (j === b) return { ...e, adm: entries[a]!.adm, hi: entries[b]!.hi, gone: [] };
      return e;
    });
    await rewrite(forged.map((e) => JSON.stringify(e)));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out).not.toContain('signature');
    expect(r.out).not.toContain('chain broken');
    expect(r.out).toMatch(/out of order/);
    await rewrite(original);
    expect((await verify()).code).toBe(0);
  });

  it('still verifies once the key that signed the head is withdrawn (the gate re-signs the sealed head)', async () => {
    // A finished sale's log no longer grows, so no new seal would ever replace its head.
    const head = JSON.parse((await fx.redis.get(k.logHead))!) as { jws: string };
    const kid = (JSON.parse(Buffer.from(head.jws.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    await withdrawKey(fx.redis, fx.prefix, kid, 600);
    await until(
      async () => !((await (await fetch(`${reader.http}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.some((j) => j.kid === kid),
      10_000,
      'withdrawn key unpublished by the gate',
    );
    const r = await verify();
    // Before: 'the log head's signature does not verify against the gate's JWKS', for ever.
    expect(r.out).toContain('OK: the log is intact');
    expect(r.code).toBe(0);
  });
});
