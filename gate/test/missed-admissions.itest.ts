// Issue 16 item 5: an admission message a gate never receives (pub/sub is fire-and-forget) must
// not leave the shopper waiting. The gate holding the sockets runs no admitter; a separate real
// Admitter leads the event through a Redis client that loses chosen `admit` publishes on the
// way out (what a dropped subscriber connection or a shard failover does to a message), while
// its state frames and everything in Redis are untouched. Real Redis, real WebSockets.
import { eventKeys, type Redis, updateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Admitter } from '../src/admission/admitter.ts';
import { connect } from './client.ts';
import { testGate } from './gate.ts';
import { makeEvent, quietLog, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let admitter: Admitter | undefined;

beforeEach(async () => {
  fx = await redisFixture();
  gate = await testGate(fx.prefix, {}, { admitter: false });
});
afterEach(async () => {
  await admitter?.stop();
  admitter = undefined;
  await gate.close();
  await fx.cleanup();
});

/**
 * `redis`, except that pipelined SPUBLISHes to an admit channel are dropped while `lose()` says
 * so, or, with `delayMs`, sent that much later instead (a message overtaken by the re-check).
 */
function lossy(redis: Redis, lose: () => boolean, delayMs = 0): { client: Redis; lost: () => number } {
  let lost = 0;
  const wrapPipe = (pipe: object): object =>
    new Proxy(pipe, {
      get(target, prop, recv) {
        if (prop === 'spublish') {
          return (channel: string, message: string) => {
            if (channel.endsWith(':admit') && lose()) {
              lost++;
              if (delayMs > 0) setTimeout(() => void redis.spublish(channel, message), delayMs);
              return recv;
            }
            (target as { spublish: (c: string, m: string) => unknown }).spublish(channel, message);
            return recv;
          };
        }
        const v = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const out = v.apply(target, args);
          return out === target ? recv : out;
        };
      },
    });
  const client = new Proxy(redis, {
    get(target, prop) {
      if (prop === 'pipeline') return () => wrapPipe(target.pipeline());
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { client, lost: () => lost };
}

function lead(client: Redis, evt: string): Admitter {
  const a = new Admitter({
    redis: client,
    prefix: fx.prefix,
    id: 'lossy-admitter',
    now: Date.now,
    tickMs: 50,
    leaderTtlMs: 2000,
    log: quietLog,
    eventIds: () => [evt],
  });
  a.start();
  return a;
}

it('hands the ticket to a waiting shopper whose admit message was lost', async () => {
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, rate: 100, burst: 100 });
  const evt = ev.config.id;
  const { client, lost } = lossy(fx.redis, () => true); // every admit message is lost
  admitter = lead(client, evt);
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const shoppers = await Promise.all([0, 1, 2].map(() => connect(gate.ws(evt))));
  for (const [i, c] of shoppers.entries()) c.send({ t: 'join', cid: `browser-missed-${i}` });
  const places = await Promise.all(shoppers.map((c) => c.next('welcome')));

  await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
  await until(async () => (await fx.redis.hlen(eventKeys(fx.prefix, evt).admittedAt)) === 3, 5000, 'all three admitted in Redis');
  const tickets = await Promise.all(shoppers.map((c) => c.next('admitted', 5000)));
  expect(lost()).toBeGreaterThan(0);
  for (const t of tickets) expect(t.ticket.split('.')).toHaveLength(3);
  const admitted = await fx.redis.hmget(eventKeys(fx.prefix, evt).admittedAt, ...places.map((p) => p.placeId));
  expect(admitted.every((a) => a !== null)).toBe(true);
  const metrics = await (await fetch(`${gate.http}/metrics`)).text();
  expect(metrics).toMatch(/sluice_gate_admissions_recovered_total\{why="(served|gap|periodic)"[^}]*\} [1-9]/);
  for (const c of shoppers) c.close();
});

it('notices a gap in the admit sequence', async () => {
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, rate: 1, burst: 1 });
  const evt = ev.config.id;
  let n = 0;
  const { client } = lossy(fx.redis, () => ++n === 2); // the second admit message is lost
  admitter = lead(client, evt);
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const shoppers = await Promise.all([0, 1, 2].map(() => connect(gate.ws(evt))));
  for (const [i, c] of shoppers.entries()) {
    c.send({ t: 'join', cid: `browser-gap-${i}` });
    await c.next('welcome');
  }
  await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
  // One per second: the first arrives by message, the second's is lost, the third's shows the gap.
  await Promise.all(shoppers.map((c) => c.next('admitted', 8000)));
  const metrics = await (await fetch(`${gate.http}/metrics`)).text();
  expect(metrics).toMatch(/sluice_gate_admit_gaps_total\{[^}]*\} [1-9]/);
  for (const c of shoppers) c.close();
});

it('hands each shopper exactly one ticket when a late admit message follows the re-check', async () => {
  const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, rate: 200, burst: 200 });
  const evt = ev.config.id;
  // Every admit message arrives 1.5 s late: the re-check delivers first, then the message comes.
  const { client } = lossy(fx.redis, () => true, 1500);
  admitter = lead(client, evt);
  await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'event open');
  const shoppers = await Promise.all(Array.from({ length: 30 }, () => connect(gate.ws(evt))));
  for (const [i, c] of shoppers.entries()) c.send({ t: 'join', cid: `browser-once-${i}` });
  await Promise.all(shoppers.map((c) => c.next('welcome')));
  await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
  await Promise.all(shoppers.map((c) => c.next('admitted', 8000)));
  await new Promise((r) => setTimeout(r, 2500)); // the late messages have arrived
  for (const c of shoppers) expect(c.messages.filter((m) => m.t === 'admitted')).toHaveLength(1);
  for (const c of shoppers) c.close();
});
