// HTTP fallback, CORS, caching headers, ops endpoints, and the grace-period drop (fake clock).
import { CloseCode, eventKeys, GatePaths, PLACE_HEADER, updateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from './client.ts';
import { testGate } from './gate.ts';
import { fakeClock, makeEvent, until } from './helpers.ts';

let fx: RedisFixture;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('HTTP', () => {
  it('join, poll until admitted (ticket), leave; status is CDN-cacheable with CORS for allowed origins only', async () => {
    const gate = await testGate(fx.prefix);
    try {
      const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true });
      const evt = ev.config.id;
      await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'open');
      const origin = 'https://shop.example';
      const json = { 'content-type': 'application/json' };
      const pre = await fetch(`${gate.http}${GatePaths.join(evt)}`, {
        method: 'OPTIONS',
        headers: { origin },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      expect(pre.headers.get('access-control-allow-headers')).toContain(PLACE_HEADER);
      const bad = await fetch(`${gate.http}${GatePaths.join(evt)}`, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
        body: '{}',
      });
      expect(bad.status).toBe(403);
      expect(bad.headers.get('access-control-allow-origin')).toBeNull();
      expect((await fetch(`${gate.http}${GatePaths.status('nope')}`)).status).toBe(404);
      expect((await fetch(`${gate.http}${GatePaths.join(evt)}`, { method: 'POST', headers: json, body: '[1' })).status).toBe(
        400,
      );
      expect(
        (await fetch(`${gate.http}${GatePaths.join(evt)}`, { method: 'POST', headers: json, body: 'x'.repeat(5000) }))
          .status,
      ).toBe(413);

      const res = await fetch(`${gate.http}${GatePaths.join(evt)}`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ cid: 'http-client-1' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      const w = await res.json();
      expect(w).toMatchObject({ t: 'welcome', phase: 'queue', score: 1 });
      const status = await fetch(`${gate.http}${GatePaths.status(evt)}`, { headers: { origin } });
      expect(status.headers.get('cache-control')).toBe('public, max-age=1');
      expect(status.headers.get('vary')).toContain('Origin');
      expect(await status.json()).toMatchObject({ t: 'state', evt, st: 'open' });
      const poll = await (
        await fetch(`${gate.http}${GatePaths.place(evt)}`, { headers: { [PLACE_HEADER]: w.place } })
      ).json();
      expect(poll).toEqual({ phase: 'queue', score: 1 });
      expect(
        (await fetch(`${gate.http}${GatePaths.place(evt)}`, { headers: { [PLACE_HEADER]: 'bad' } })).status,
      ).toBe(400);
      await updateEvent(fx.redis, fx.prefix, evt, { queueAll: false });
      const admitted = await until(
        async () => {
          const p = await (
            await fetch(`${gate.http}${GatePaths.place(evt)}`, { headers: { [PLACE_HEADER]: w.place } })
          ).json();
          return p.phase === 'admitted' ? p : null;
        },
        5000,
        'admitted by polling',
      );
      expect(admitted.ticket.split('.')).toHaveLength(3);
      const w2 = await (
        await fetch(`${gate.http}${GatePaths.join(evt)}`, { method: 'POST', headers: json, body: '{}' })
      ).json();
      const left = await fetch(`${gate.http}${GatePaths.leave(evt)}`, {
        method: 'POST',
        headers: { [PLACE_HEADER]: w2.place },
      });
      expect(left.status).toBe(204);
      expect(await fx.redis.zscore(eventKeys(fx.prefix, evt).queue, w2.placeId)).toBeNull();

      const info = await (await fetch(`${gate.http}${GatePaths.event(evt)}`)).json();
      expect(info).toMatchObject({ id: evt, state: 'open', seedHash: ev.seedHash, powDifficulty: 0 });
      expect((await fetch(`${gate.http}/healthz`)).status).toBe(200);
      expect((await fetch(`${gate.http}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${gate.http}/metrics`)).text();
      for (const m of [
        'sluice_gate_sockets',
        'sluice_gate_queue_length',
        'sluice_gate_admitted_total',
        'sluice_gate_admission_rate',
        'sluice_gate_tick_seconds',
        'sluice_gate_join_seconds',
      ]) {
        expect(metrics).toContain(m);
      }
    } finally {
      await gate.close();
    }
  });

  it('readyz is 503 when Redis is unreachable', async () => {
    const gate = await testGate(fx.prefix);
    try {
      gate.ctx.redis.disconnect();
      const r = await fetch(`${gate.http}/readyz`);
      expect(r.status).toBe(503);
    } finally {
      await gate.close();
    }
  });
});

describe('grace period', () => {
  it('keeps a disconnected place for graceS, then drops it (injected clock)', async () => {
    const clock = fakeClock(Date.now());
    const gate = await testGate(fx.prefix, {}, { now: clock.now });
    try {
      const ev = await makeEvent(fx.redis, fx.prefix, { queueAll: true, graceS: 60 }, clock.now());
      const evt = ev.config.id;
      const k = eventKeys(fx.prefix, evt);
      await until(() => gate.ctx.events.get(evt)?.state === 'open', 5000, 'open');
      const a = await connect(gate.ws(evt));
      a.send({ t: 'join' });
      const wa = await a.next('welcome');
      const b = await connect(gate.ws(evt));
      b.send({ t: 'join' });
      const wb = await b.next('welcome');
      a.close();
      b.close();
      await until(async () => (await fx.redis.zcard(k.absent)) === 2, 5000, 'marked absent');
      clock.advance(59_000);
      // b comes back in time; a does not.
      const b2 = await connect(gate.ws(evt));
      b2.send({ t: 'join', place: wb.place });
      expect((await b2.next('welcome')).resumed).toBe(true);
      clock.advance(2_000);
      await until(async () => (await fx.redis.zscore(k.queue, wa.placeId)) === null, 5000, 'a dropped');
      expect(await fx.redis.zscore(k.queue, wb.placeId)).not.toBeNull();
      const a2 = await connect(gate.ws(evt));
      a2.send({ t: 'join', place: wa.place });
      expect((await a2.closed).code).toBe(CloseCode.PLACE_EXPIRED);
      b2.close();
    } finally {
      await gate.close();
    }
  });
});
