// The public admission log's endpoints are limited per address like the other public reads
// (GATE_PUBLIC_RATE_PER_IP): any `from` is a fresh URL no cache absorbs, and each page read is two
// LRANGEs of up to 1,000 entries; past the limit the answer is 429 with no Redis work. The
// outside verifier waits out a 429 (Retry-After) instead of failing.
import { eventKeys, setEventState } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAdmissions } from '../scripts/verify-admissions.ts';
import { testGate } from './gate.ts';
import { makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let sent: { name: string; args: string[] }[];

beforeEach(async () => {
  fx = await redisFixture();
  gate = await testGate(fx.prefix, { GATE_PUBLIC_RATE_PER_IP: '20' }, { admitter: false });
  sent = [];
  const redis = gate.ctx.redis as unknown as { sendCommand: (c: { name: string; args: unknown[] }) => unknown };
  const orig = redis.sendCommand.bind(redis);
  redis.sendCommand = (c) => {
    sent.push({ name: String(c.name).toLowerCase(), args: c.args.map(String) });
    return orig(c);
  };
});
afterEach(async () => {
  await gate.close();
  await fx.cleanup();
});

describe('admission log endpoints and one address', () => {
  it('pages, head and number look-ups past GATE_PUBLIC_RATE_PER_IP get 429 without Redis work', async () => {
    const evt = (await makeEvent(fx.redis, fx.prefix)).config.id;
    await until(() => gate.ctx.events.get(evt) !== undefined, 5000, 'event known');
    const k = eventKeys(fx.prefix, evt);
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i + 1 }));
    await fx.redis.rpush(k.log, ...lines);
    await fx.redis.rpush(k.logHash, ...lines.map(() => 'a'.repeat(64)));
    sent = [];
    const base = `${gate.http}/v1/events/${evt}/admissions`;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await fetch(`${base}?from=${i}&limit=1000`)).status);
    for (let i = 0; i < 10; i++) statuses.push((await fetch(`${base}/head`)).status);
    for (let i = 0; i < 10; i++) statuses.push((await fetch(`${base}/number/${i + 1}`)).status);
    const refused = statuses.filter((s) => s === 429).length;
    // Before: all 80 answered, each page read costing LLEN + two LRANGEs.
    expect(refused).toBeGreaterThanOrEqual(80 - 20);
    expect(sent.filter((c) => c.name === 'lrange').length).toBeLessThanOrEqual(2 * 20);
  });

  it('the outside verifier waits out a 429 instead of failing', async () => {
    const evt = (await makeEvent(fx.redis, fx.prefix)).config.id;
    await until(() => gate.ctx.events.get(evt) !== undefined, 5000, 'event known');
    const head = `${gate.http}/v1/events/${evt}/admissions/head`;
    while ((await fetch(head)).status !== 429) {
      // use up this address's reads
    }
    const out: string[] = [];
    // Before: it threw `HTTP 429` on the head.
    expect(await verifyAdmissions(gate.http, evt, (s) => out.push(s))).toBe(true);
    expect(out.join('\n')).toContain('no admission log yet');
  }, 40_000);

  it('the verifier does not pass a started sale whose gate serves no log head', async () => {
    const evt = (await makeEvent(fx.redis, fx.prefix)).config.id;
    await setEventState(fx.redis, fx.prefix, evt, 'open');
    await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'gate sees it open');
    const out: string[] = [];
    // Before: 'no admission log yet' and success, so a gate could hide a whole sale's log.
    expect(await verifyAdmissions(gate.http, evt, (s) => out.push(s))).toBe(false);
    expect(out.join('\n')).toMatch(/is open but the gate serves no admission log/);
  });
});
