// Several hosts behind a real load balancer, without Docker: Debian's nginx runs the project's
// own template (deploy/nginx/sluice.conf.template, rendered by deploy/nginx/render.ts for local
// upstreams) in front of two gate instances and two checkout instances on their own ports, plus
// one order worker. Through nginx: WebSocket joins spread over both gates, the HTTP fallback,
// checkout and order status, the trusted client address (GATE_TRUSTED_PROXIES = nginx's address, X-Real-IP), and a
// reconnect with the place token to the other gate once the first one stops.
import { existsSync } from 'node:fs';
import { eventKeys, persistEvent, type WelcomeMsg } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { httpFrom, metricValue } from '../support/http.ts';
import { NGINX, type RunningNginx, startNginx } from '../support/nginx.ts';
import {
  freePort,
  type Service,
  type SpawnedGate,
  spawnCheckout,
  spawnGateCluster,
  spawnWorker,
} from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

const ORIGIN = 'https://shop.example';
const JOIN_LIMIT = 4;
let s: Stores;
let gates: SpawnedGate[] = [];
let checkouts: Service[] = [];
let worker: Service | undefined;
let nginx: RunningNginx | undefined;
let base = '';
let evt = '';
const clients: Client[] = [];

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} missing: apt-get install -y nginx (.ci/run does)`);
  s = await openStores();
  const env = {
    GATE_TRUSTED_PROXIES: '127.0.0.1',
    GATE_JOIN_RATE_PER_IP: String(JOIN_LIMIT),
    GATE_LEADER_TTL_MS: '2000',
  };
  gates = await Promise.all([spawnGateCluster(s, 1, env), spawnGateCluster(s, 1, env)]);
  const jwks = `http://127.0.0.1:${gates[1]!.port}/.well-known/jwks.json`;
  checkouts = await Promise.all([spawnCheckout(s, { JWKS_URL: jwks }), spawnCheckout(s, { JWKS_URL: jwks })]);
  worker = await spawnWorker(s);
  const listen = `127.0.0.1:${await freePort()}`;
  nginx = await startNginx({
    listen,
    dashboardListen: `127.0.0.1:${await freePort()}`,
    gates: gates.map((g) => `127.0.0.1:${g.port}`),
    checkouts: checkouts.map((c) => `127.0.0.1:${c.port}`),
    dashboards: ['127.0.0.1:1'],
  });
  base = `http://${listen}`;
  const rec = await makeEvent(s.redis, s.prefix, { rate: 1000, burst: 100, queueAll: false });
  await persistEvent(s.pool, rec.config);
  evt = rec.config.id;
  await until(
    async () => (await s.redis.hget(eventKeys(s.prefix, evt).event, 'state')) === 'open',
    15_000,
    'open',
  );
}, 120_000);

afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  await nginx?.stop();
  await Promise.all([...gates.map((g) => g.stop()), ...checkouts.map((c) => c.kill()), worker?.kill()]);
  await s?.cleanup();
});

const wsUrl = () => `${base.replace('http', 'ws')}/v1/events/${evt}/ws`;
async function shopper(from: string, place?: string): Promise<{ c: Client; w: WelcomeMsg }> {
  const c = await connect(wsUrl(), ORIGIN, { localAddress: from });
  clients.push(c);
  c.send(place ? { t: 'join', place } : { t: 'join' });
  return { c, w: await c.next('welcome', 15_000) };
}
const socketsOf = async (g: SpawnedGate) =>
  metricValue(await (await fetch(`http://127.0.0.1:${g.port}/metrics`)).text(), 'sluice_gate_sockets');
const json = { 'content-type': 'application/json', origin: ORIGIN };

describe('nginx in front of two gates and two checkouts', () => {
  const joined: { c: Client; w: WelcomeMsg; from: string }[] = [];

  it('spreads WebSocket joins over both gates and serves the JWKS, not /metrics', async () => {
    for (let i = 0; i < 8; i++) {
      const from = `127.0.0.${10 + i}`;
      joined.push({ ...(await shopper(from)), from });
    }
    expect(new Set(joined.map((j) => j.w.placeId)).size).toBe(8);
    await until(
      async () => (await socketsOf(gates[0]!)) + (await socketsOf(gates[1]!)) === 8,
      10_000,
      '8 sockets held',
    );
    expect(await socketsOf(gates[0]!)).toBeGreaterThan(0);
    expect(await socketsOf(gates[1]!)).toBeGreaterThan(0);

    const keys = await httpFrom('127.0.0.2', 'GET', `${base}/.well-known/jwks.json`);
    expect(keys.status).toBe(200);
    expect(keys.json<{ keys: unknown[] }>().keys.length).toBeGreaterThan(0);
    expect((await httpFrom('127.0.0.2', 'GET', `${base}/metrics`)).status).toBe(404);
  });

  it('checks out through nginx on both checkout instances; the worker confirms the orders', async () => {
    const tickets = await Promise.all(
      joined.slice(0, 4).map(async (j) => (await j.c.next('admitted', 15_000)).ticket),
    );
    const orders: { id: string; ticket: string }[] = [];
    for (const ticket of tickets) {
      const r = await httpFrom(
        '127.0.0.3',
        'POST',
        `${base}/v1/checkout`,
        { ...json, authorization: `Bearer ${ticket}` },
        '{"sku":"SKU-1","qty":1}',
      );
      expect(r.status, r.text).toBe(202);
      orders.push({ id: r.json<{ orderId: string }>().orderId, ticket });
    }
    for (const c of checkouts) {
      const text = await (await fetch(`${c.base}/metrics`)).text();
      expect(
        metricValue(text, 'sluice_checkout_duration_seconds_count'),
        `checkout :${c.port} served`,
      ).toBeGreaterThan(0);
    }
    for (const o of orders) {
      await until(
        async () => {
          const r = await httpFrom('127.0.0.3', 'GET', `${base}/v1/orders/${o.id}`, {
            authorization: `Bearer ${o.ticket}`,
          });
          return r.status === 200 && r.json<{ status: string }>().status === 'confirmed';
        },
        20_000,
        `order ${o.id} confirmed`,
      );
    }
    const { rows } = await s.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM orders WHERE event_id = $1 AND status = 'confirmed'`,
      [evt],
    );
    expect(rows[0]?.n).toBe(4);
  });

  it('joins and polls over the HTTP fallback', async () => {
    const join = await httpFrom('127.0.0.30', 'POST', `${base}/v1/events/${evt}/join`, json, '{}');
    expect(join.status, join.text).toBe(200);
    const w = join.json<WelcomeMsg>();
    await until(
      async () => {
        const r = await httpFrom('127.0.0.30', 'GET', `${base}/v1/events/${evt}/place`, {
          origin: ORIGIN,
          'x-sluice-place': w.place,
        });
        expect(r.status, r.text).toBe(200);
        return r.json<{ phase: string; ticket?: string }>().ticket;
      },
      15_000,
      'admitted over HTTP',
    );
  });

  it('counts joins by the address nginx saw, whatever the client claims', async () => {
    // A fixed 10 s window: start early in one so the five joins fall into the same window.
    await until(() => Date.now() % 10_000 < 6_000, 10_000, 'start of a join-limit window', 100);
    const claims = (i: number) => ({
      ...json,
      'x-real-ip': `203.0.113.${i}`,
      'x-forwarded-for': `198.51.100.${i}`,
    });
    const statuses: number[] = [];
    for (let i = 0; i < JOIN_LIMIT + 1; i++)
      statuses.push(
        (await httpFrom('127.0.0.40', 'POST', `${base}/v1/events/${evt}/join`, claims(i), '{}')).status,
      );
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // Another shopper is not held back by the first one's joins.
    expect(
      (await httpFrom('127.0.0.41', 'POST', `${base}/v1/events/${evt}/join`, claims(9), '{}')).status,
    ).toBe(200);

    const counted = await s.redis.hgetall(eventKeys(s.prefix, evt).joinsByIp);
    expect(counted['a:127.0.0.40']).toBe(String(JOIN_LIMIT + 1));
    expect(counted['a:127.0.0.41']).toBe('1');
    expect(Object.keys(counted).filter((f) => /203\.0\.113|198\.51\.100|a:127\.0\.0\.1$/.test(f))).toEqual(
      [],
    );
  });

  it('reconnects the shoppers of a stopped gate to the other one with their place token', async () => {
    const onFirst = await socketsOf(gates[0]!);
    expect(onFirst).toBeGreaterThan(0);
    await gates[0]!.stop();
    await until(
      () => joined.filter((j) => j.c.ws.readyState === j.c.ws.CLOSED).length === onFirst,
      10_000,
      'its sockets close',
    );
    // The first four bought already (their places are finished); the others wait or hold a ticket.
    const dropped = joined.slice(4).filter((j) => j.c.ws.readyState === j.c.ws.CLOSED);
    expect(dropped.length).toBeGreaterThan(0);
    const kept = joined.filter((j) => j.c.ws.readyState === j.c.ws.OPEN).length;
    for (const d of dropped) {
      await sleep(20);
      const again = await shopper(d.from, d.w.place);
      // Admitted while connected to the stopped gate: the place and its ticket come back.
      expect(again.w).toMatchObject({ resumed: true, placeId: d.w.placeId, phase: 'admitted' });
      expect((await again.c.next('admitted', 10_000)).ticket).toBeTruthy();
    }
    expect(await socketsOf(gates[1]!)).toBe(kept + dropped.length);
  });
});
