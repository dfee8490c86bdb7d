// Lanes against the real Redis, driven by a fake clock: the release split by share (3:1) and in
// strict order, numbers FIFO within each lane, the pre-queue shuffled per lane at the start, and
// the admission log of a laned sale accepted by the verifier's checker (and a tampered one not).
import {
  chainHash,
  eventKeys,
  genesisHash,
  LANE_SPAN,
  LogChecker,
  type LogLine,
  shuffleOrder,
  splitScore,
  updateEvent,
} from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, makeEvent, quietLog } from '../../test/helpers.ts';
import { Admitter } from '../admission/admitter.ts';
import { exactRank, joinQueue } from '../queue/join.ts';
import { numberAt, verifyShuffle } from '../../scripts/verify-shuffle.ts';

let fx: RedisFixture;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const LANES = [
  { id: 'members', share: 3 },
  { id: 'public', share: 1 },
];

function admitter(clock: { now: () => number }, evt: string) {
  return new Admitter({
    redis: fx.redis,
    prefix: fx.prefix,
    id: 'a1',
    now: clock.now,
    bucketClock: clock.now,
    tickMs: 250,
    leaderTtlMs: 2000,
    log: quietLog,
    eventIds: () => [evt],
  });
}

/** Joins alternating between the two lanes; returns each lane's place ids in join order. */
async function joinBoth(evt: string, perLane: number, now: number): Promise<[string[], string[]]> {
  const out: [string[], string[]] = [[], []];
  for (let i = 0; i < perLane * 2; i++) {
    const lane = i % 2;
    const j = await joinQueue(fx.redis, fx.prefix, evt, {
      cid: '',
      resumePlaceId: '',
      now,
      lane: { index: lane, needs: false, field: '' },
    });
    out[lane]!.push(j.placeId);
  }
  return out;
}

async function checkLog(evt: string, tamper?: (raw: string[]) => void) {
  const raw = await fx.redis.lrange(eventKeys(fx.prefix, evt).log, 0, -1);
  tamper?.(raw);
  const c = new LogChecker(evt);
  let h = genesisHash(evt);
  raw.forEach((e, i) => {
    const line: LogLine = { i, prev: h, e };
    h = chainHash(h, e);
    c.add(line);
  });
  return c.finish({ evt, n: raw.length, hash: h, at: 0 });
}

describe('lanes', () => {
  it('release in the configured shares (3:1) while both lanes are long, FIFO within each lane', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 40, burst: 10, lanes: LANES }, clock.now());
    const evt = ev.config.id;
    const a = admitter(clock, evt);
    await a.tickEvent(evt); // scheduled → open
    const [members, pub] = await joinBoth(evt, 300, clock.now());
    // The exact rank counts the shopper's own lane in shares mode (all earlier lanes in strict).
    expect(await exactRank(fx.redis, fx.prefix, evt, pub[9]!, 1)).toBe(9);
    expect(await exactRank(fx.redis, fx.prefix, evt, pub[9]!)).toBe(309);
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      clock.advance(250);
      order.push(...(await a.tickEvent(evt))!.admitted);
    }
    // 10 released per tick (40/s × 0.25 s; the first tick's full bucket too): 200 in all.
    expect(order.length).toBe(200);
    const m = order.filter((id) => members.includes(id));
    const p = order.filter((id) => pub.includes(id));
    expect(m.length + p.length).toBe(200);
    // 3:1 up to the carried credit (under one shopper per lane).
    expect(Math.abs(m.length - 3 * p.length)).toBeLessThanOrEqual(4);
    expect(m).toEqual(members.slice(0, m.length));
    expect(p).toEqual(pub.slice(0, p.length));
    // Every tick on its own is 3:1 within a shopper or two.
    const t = (await a.tickEvent(evt))!;
    expect(t.frame.lanes?.map((l) => l.id)).toEqual(['members', 'public']);
    expect(t.frame.lanes![0]!.rate).toBeGreaterThan(t.frame.lanes![1]!.rate * 2);

    // The log of a laned sale verifies: per-lane order, the rate for the total.
    const s = await checkLog(evt);
    expect(s.problems).toEqual([]);
    expect(s.admitted).toBe(200 + t.admitted.length);
    expect(s.lanes).toEqual({ members: m.length + t.admitted.filter((id) => members.includes(id)).length, public: expect.any(Number) });
    // Tampered: a public number admitted out of its lane's order, or two lanes' counts merged.
    const swapped = await checkLog(evt, (raw) => {
      const i = raw.findIndex((r) => r.includes('"id":"public","adm":[['));
      raw[i] = raw[i]!.replace(/"id":"public","adm":\[\[(\d+),/, (_, a) => `"id":"public","adm":[[${Number(a) + 1},`);
    });
    expect(swapped.problems.join('\n')).toMatch(/lane public: numbers \d+\.\.\d+ skipped without being recorded as gone|chain broken/);
    const over = await checkLog(evt, (raw) => {
      const i = raw.findIndex((r) => r.includes('"id":"members","adm":[['));
      raw[i] = raw[i]!.replace(/"id":"members","adm":\[\[(\d+),(\d+)\]/, (_, a, b) => `"id":"members","adm":[[${a},${Number(b) + 5}]`);
    });
    expect(over.problems.join('\n')).toMatch(/over the rate|high mark/);
  });

  it('strict mode admits every member before anyone public; an event without lanes logs no lanes', async () => {
    const clock = fakeClock();
    const ev = await makeEvent(fx.redis, fx.prefix, { rate: 40, burst: 10, lanes: LANES, laneMode: 'strict' }, clock.now());
    const evt = ev.config.id;
    const a = admitter(clock, evt);
    await a.tickEvent(evt);
    const [members, pub] = await joinBoth(evt, 30, clock.now());
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      clock.advance(250);
      order.push(...(await a.tickEvent(evt))!.admitted);
    }
    expect(order.slice(0, 30)).toEqual(members);
    expect(order.slice(30)).toEqual(pub.slice(0, order.length - 30));
    expect((await checkLog(evt)).problems).toEqual([]);

    const plain = await makeEvent(fx.redis, fx.prefix, { rate: 40, burst: 10 }, clock.now());
    const b = admitter(clock, plain.config.id);
    await b.tickEvent(plain.config.id);
    await joinQueue(fx.redis, fx.prefix, plain.config.id, { cid: '', resumePlaceId: '', now: clock.now() });
    clock.advance(250);
    await b.tickEvent(plain.config.id);
    const raw = await fx.redis.lrange(eventKeys(fx.prefix, plain.config.id).log, 0, -1);
    expect(raw.at(-1)).toMatch(/"adm":\[\[1,1\]\],"gone":\[\],"back":0,"hi":1\}$/);

    // Once open, the lane ids and their order are fixed (baked into the scores); a share may change.
    const [m, p] = LANES.map((l) => ({ ...l, access: 'open' as const, inviteKeys: [] }));
    await expect(updateEvent(fx.redis, fx.prefix, evt, { lanes: [p!, m!] })).rejects.toThrow(/fixed once the pre-queue has opened/);
    await updateEvent(fx.redis, fx.prefix, evt, { lanes: [{ ...m!, share: 5 }, p!] });
  });

  it('shuffles the pre-queue per lane at the start and numbers each lane from 1', async () => {
    const clock = fakeClock();
    const start = clock.now() + 10_000;
    const ev = await makeEvent(
      fx.redis,
      fx.prefix,
      { prequeueAt: clock.now(), startAt: start, rate: 1000, burst: 1000, lanes: LANES },
      clock.now(),
    );
    const evt = ev.config.id;
    const a = admitter(clock, evt);
    await a.tickEvent(evt); // → prequeue
    const [members, pub] = await joinBoth(evt, 40, clock.now());
    clock.set(start);
    const t = (await a.tickEvent(evt))!; // opens (one chunk) and admits
    const k = eventKeys(fx.prefix, evt);
    const seed = (await fx.redis.hget(k.event, 'seed'))!;
    // Admitted in lane order, each lane in its own seeded shuffle.
    expect(t.admitted).toEqual([...shuffleOrder(members, seed), ...shuffleOrder(pub, seed)]);
    // And an outsider recomputes it from the published list (lane by lane) and lane counts.
    expect(await fx.redis.hget(k.event, 'prequeueLanes')).toBe('40,40');
    const published = await fx.redis.zrange(k.prequeue, 0, -1);
    const lanesPub = [{ id: 'members', n: 40 }, { id: 'public', n: 40 }];
    const v = verifyShuffle({ seedHash: ev.seedHash, seed, members: published, lanes: lanesPub });
    expect(v.ok && v.order).toEqual(t.admitted);
    expect(numberAt(t.admitted.indexOf(pub[0]!), lanesPub)).toBe(`public ${shuffleOrder(pub, seed).indexOf(pub[0]!) + 1}`);
    // Admitted order per lane = the lane's own shuffle; numbers 1..40 in each lane.
    const at = await fx.redis.hgetall(k.admittedAt);
    expect(Object.keys(at).length).toBe(80);
    const log = (await fx.redis.lrange(k.log, 0, -1)).map((r) => JSON.parse(r) as { lanes: { id: string; adm: number[][] }[] });
    const last = log.at(-1)!;
    expect(last.lanes.map((l) => l.adm)).toEqual([[[1, 40]], [[1, 40]]]);
    expect(await fx.redis.hget(k.event, 'lseq:0')).toBe('40');
    // A newcomer after the start gets number 41 of its lane.
    const late = await joinQueue(fx.redis, fx.prefix, evt, { cid: '', resumePlaceId: '', now: clock.now(), lane: { index: 1, needs: false, field: '' } });
    expect(late).toMatchObject({ score: 41, lane: 1 });
    expect(splitScore(Number(await fx.redis.zscore(k.queue, late.placeId)))).toEqual({ lane: 1, number: 41 });
    expect(Number(await fx.redis.zscore(k.queue, late.placeId))).toBe(LANE_SPAN + 41);
    expect((await checkLog(evt)).problems).toEqual([]);
  });
});
