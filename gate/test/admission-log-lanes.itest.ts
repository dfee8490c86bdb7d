// The public admission log of a sale with lanes, end to end: a gate runs a sale with a `members`
// lane (share 3) and a `public` lane (share 1) in which some shoppers leave; `verify-admissions`
// (a separate process, HTTP only) finds it intact, each lane in order; the number look-up answers
// per lane. A re-chained, re-signed log that admits a lane's numbers out of order is caught.
import { eventKeys, type LogEntry, updateEvent } from '@sluice/shared';
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
  const lanes = [
    { id: 'members', share: 3 },
    { id: 'public', share: 1 },
  ];
  const ev = await makeEvent(fx.redis, fx.prefix, { rate: 40, burst: 4, queueAll: true, lanes });
  evt = ev.config.id;
  k = eventKeys(fx.prefix, evt);
  await until(() => runner.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const byLane: string[][] = [[], []];
  for (let i = 0; i < 60; i++) {
    const lane = { index: i % 2, needs: false, field: '' };
    byLane[i % 2]!.push((await joinQueue(fx.redis, fx.prefix, evt, { cid: '', resumePlaceId: '', now: Date.now(), lane })).placeId);
  }
  // Public numbers 4 and 5 leave before the line moves: gone, in their lane.
  for (const i of [3, 4]) expect(await leaveQueue(fx.redis, fx.prefix, evt, byLane[1]![i]!)).toBe(true);
  await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
  await until(async () => (await fx.redis.zcard(k.queue)) === 0, 20_000, 'everyone admitted');
  await until(async () => (await fx.redis.llen(k.logHash)) === (await fx.redis.llen(k.log)), 10_000, 'log sealed');
  await runner.close();
  reader = await testGate(fx.prefix, {}, { admitter: false });
  original = await fx.redis.lrange(k.log, 0, -1);
}, 90_000);

afterAll(async () => {
  await reader?.close();
  await fx?.cleanup();
});

describe('public admission log with lanes', () => {
  it('verifies from the outside, each lane in its own order', async () => {
    const r = await verify();
    expect(r.out).toContain('58 admitted, 2 left the line');
    expect(r.out).toContain('lanes: members up to 30, public up to 30');
    expect(r.out).toContain('OK: the log is intact');
    expect(r.code).toBe(0);
    const entries = original.map((l) => JSON.parse(l) as LogEntry);
    expect(entries.every((e) => e.adm.length === 0 && Array.isArray(e.lanes))).toBe(true);
  });

  it('answers where a lane number went', async () => {
    const get = async (n: number, lane: string) => (await fetch(`${reader.http}/v1/events/${evt}/admissions/number/${n}?lane=${lane}`)).json();
    expect(await get(1, 'members')).toMatchObject({ n: 1, lane: 'members', status: 'admitted' });
    expect(await get(4, 'public')).toMatchObject({ n: 4, lane: 'public', status: 'gone' });
    expect(await get(4, 'members')).toMatchObject({ status: 'admitted' });
    expect(await get(31, 'members')).toMatchObject({ status: 'not-reached' });
  });

  it('catches a lane admitted out of order in a re-chained, re-signed log', async () => {
    const entries = original.map((l) => JSON.parse(l) as LogEntry);
    const has = (e: LogEntry) => (e.lanes?.[0]?.adm.length ?? 0) > 0;
    const a = entries.findIndex(has);
    const b = entries.findIndex((e, j) => j > a && has(e));
    const swap = (e: LogEntry, from: LogEntry) => ({ ...e, lanes: [{ ...e.lanes![0]!, adm: from.lanes![0]!.adm, hi: entries[b]!.lanes![0]!.hi }, e.lanes![1]!] });
    const forged = entries.map((e, j) => (j === a ? swap(e, entries[b]!) : j === b ? swap(e, entries[a]!) : e));
    await rewrite(forged.map((e) => JSON.stringify(e)));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out).not.toContain('chain broken');
    expect(r.out).toMatch(/lane members: admitted \[\d+, \d+\] at or below number \d+, already passed \(out of order\)/);
    await rewrite(original);
    expect((await verify()).code).toBe(0);
  });
});
