// The per-address limits of the project's nginx template in front of a real gate (issue 13),
// with Debian's nginx: a flood of public reads from one address is answered 429 by nginx (the
// gate never sees most of it) while another address is served; WebSockets beyond the per-address
// connection limit are refused at the upgrade; joins are rate-limited the same way.
import { existsSync } from 'node:fs';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { testGate } from '../../gate/test/gate.ts';
import { makeEvent, until } from '../../gate/test/helpers.ts';
import { NGINX, type RunningNginx, startNginx } from '../support/nginx.ts';
import { freePort } from '../support/services.ts';

let fx: RedisFixture;
let gate: Awaited<ReturnType<typeof testGate>>;
let nginx: RunningNginx;
let base = '';
let evt = '';
let seenByGate = 0;

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} missing: apt-get install -y nginx`);
  fx = await redisFixture();
  gate = await testGate(fx.prefix, { GATE_TRUSTED_PROXIES: '127.0.0.1' });
  const listen = `127.0.0.1:${await freePort()}`;
  nginx = await startNginx({
    listen,
    dashboardListen: `127.0.0.1:${await freePort()}`,
    gates: [`127.0.0.1:${gate.port}`],
    checkouts: ['127.0.0.1:1'],
    dashboards: ['127.0.0.1:1'],
    limits: { readRate: '1r/s', readBurst: '10', joinRate: '1r/s', joinBurst: '5', connPerIp: '3' },
  });
  base = `http://${listen}`;
  evt = (await makeEvent(fx.redis, fx.prefix, { queueAll: true, startAt: Date.now() + 60_000 })).config.id;
  await until(() => gate.ctx.events.get(evt)?.state === 'prequeue', 5000, 'prequeue');
  // Count what reaches the gate: every /prequeue request that arrives asks its cache for a page.
  const cache = gate.ctx.prequeueCache as unknown as { page: (...a: unknown[]) => Promise<unknown> };
  const orig = cache.page.bind(cache);
  cache.page = (...a) => {
    seenByGate++;
    return orig(...a);
  };
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await gate?.close();
  await fx?.cleanup();
});

const get = (path: string, from: string) =>
  new Promise<number>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(`${base}${path}`, { localAddress: from }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  });

describe('nginx limits per address', () => {
  it('answers a flood of public reads 429 itself; another address is served', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push(await get(`/v1/events/${evt}/prequeue`, '127.0.0.2'));
    const limited = statuses.filter((s) => s === 429).length;
    // Burst 10 at 1/s: about 11 served, the rest refused by nginx before the gate.
    expect(limited).toBeGreaterThanOrEqual(40);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
    expect(seenByGate).toBeLessThanOrEqual(60 - limited);
    expect(await get(`/v1/events/${evt}/prequeue`, '127.0.0.3')).toBe(200);
  });

  it('refuses WebSockets beyond the per-address connection limit', async () => {
    const url = `${base.replace('http', 'ws')}/v1/events/${evt}/ws`;
    const open: Client[] = [];
    const refused: number[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        open.push(await connect(url, 'https://shop.example', { localAddress: '127.0.0.4' }));
      } catch (err) {
        refused.push((err as { status?: number }).status ?? 0);
      }
    }
    expect(open).toHaveLength(3);
    expect(refused).toEqual([429, 429, 429]);
    for (const c of open) c.close();
  });

  it('rate-limits joins over the HTTP fallback', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/v1/events/${evt}/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
  });
});
