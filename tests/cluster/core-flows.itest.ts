// The core flows against a single Redis and against the local Redis Cluster (3 masters + 3
// replicas, scripts/redis-cluster.sh): join → admit → ticket → purchase → order persisted,
// reconnect, pause, soldout, reconcile, with the gate, checkout and order worker in-process on
// Cluster clients. Several events spread over the shards run at once, so a pipeline, MULTI or
// script that mixed slots would fail here with CROSSSLOT, and the worker's batches mix events.
import {
  checkoutSchema,
  CloseCode,
  Cluster,
  createEvent,
  ensureKeyring,
  eventKeys,
  loadConfig,
  persistEvent,
  type Redis,
  setEventState,
  updateEvent,
  workerSchema,
} from '@sluice/shared';
import {
  type DbFixture,
  dbFixture,
  type RedisFixture,
  redisFixture,
  TEST_CLUSTER_NODES,
  TEST_REDIS_URL,
  testRedisEndpoint,
} from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { reconcileEvent } from '../../checkout/src/reconcile/check.ts';
import { type OrderWorker, startWorker } from '../../checkout/src/worker/worker.ts';
import { sampleEvent } from '../../dashboard/src/live/sampler.ts';
import { type Client, connect } from '../../gate/test/client.ts';
import { testGate } from '../../gate/test/gate.ts';
import { HAVE_CLUSTER, idsOverShards, masterOf, requireClusterOrWarn } from '../support/cluster.ts';
import { buy } from '../support/sale.ts';
import { until } from '../support/wait.ts';

requireClusterOrWarn('tests/cluster/core-flows.itest.ts');

const TARGETS = [
  { name: 'single Redis', cluster: false },
  ...(HAVE_CLUSTER ? [{ name: `Redis Cluster ${TEST_CLUSTER_NODES.join(',')}`, cluster: true }] : []),
];

describe.each(TARGETS)('core flows on $name', ({ cluster }) => {
  let r: RedisFixture;
  let db: DbFixture;
  let gate: Awaited<ReturnType<typeof testGate>>;
  let checkout: CheckoutApp;
  let worker: OrderWorker;
  const env = (): Record<string, string> => ({
    REDIS_URL: TEST_REDIS_URL,
    REDIS_CLUSTER_NODES: cluster ? TEST_CLUSTER_NODES.join(',') : '',
    DATABASE_URL: db.env.DATABASE_URL,
    SLUICE_PREFIX: r.prefix,
    LOG_LEVEL: 'silent',
  });

  beforeAll(async () => {
    r = await redisFixture(testRedisEndpoint(cluster));
    expect(r.redis instanceof Cluster).toBe(cluster);
    db = await dbFixture();
    await ensureKeyring(r.redis, r.prefix);
    gate = await testGate(r.prefix, { ...env(), GATE_TICK_MS: '100' });
    checkout = await startCheckout(
      loadConfig(checkoutSchema, {
        ...env(),
        CHECKOUT_HOST: '127.0.0.1',
        CHECKOUT_PORT: '0',
        JWKS_URL: `${gate.http}/.well-known/jwks.json`,
        // Correctness here, not fail-fast timing: a loaded CI machine must not turn a slow reply into a 503.
        CHECKOUT_REDIS_TIMEOUT_MS: '5000',
      }),
      { pool: db.pool },
    );
    worker = await startWorker(
      loadConfig(workerSchema, { ...env(), WORKER_METRICS_PORT: '0', WORKER_RETRY_MS: '200', SWEEP_INTERVAL_MS: '200' }),
      { pool: db.pool },
    );
  });
  afterAll(async () => {
    await worker?.close();
    await checkout?.close();
    await gate?.close();
    await db?.cleanup();
    await r?.cleanup();
  });

  async function newEvent(id: string, stock: number, patch: Record<string, unknown> = {}) {
    const now = Date.now();
    const rec = await createEvent(
      r.redis,
      r.prefix,
      {
        id,
        name: `Drop ${id}`,
        prequeueAt: now - 1000,
        startAt: now - 1000,
        rate: 50,
        burst: 10,
        ticketTtlS: 600,
        graceS: 60,
        powDifficulty: 0,
        powSurgeDifficulty: 0,
        allowedOrigins: ['https://shop.example'],
        products: [{ sku: 'SKU-1', name: 'Thing', priceCents: 500, stock, limitPerShopper: 1 }],
        queueAll: true,
        ...patch,
      },
      now,
    );
    await persistEvent(db.pool, rec.config);
    await until(() => gate.ctx.events.get(id)?.state === 'open', 15_000, `${id} open`);
    return rec;
  }

  async function join(evt: string, cid: string): Promise<{ c: Client; placeId: string; place: string }> {
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join', cid });
    const w = await c.next('welcome');
    return { c, placeId: w.placeId, place: w.place };
  }

  async function ordersOf(evt: string): Promise<{ status: string; qty: number }[]> {
    const { rows } = await db.pool.query<{ status: string; qty: number }>(
      'SELECT status, qty FROM orders WHERE event_id = $1',
      [evt],
    );
    return rows;
  }

  it('join → admit → ticket → purchase → order persisted, on events spread over every shard; reconcile agrees', async () => {
    const ids = await idsOverShards(r.redis, r.prefix, 3, 'flow');
    if (cluster) expect(new Set(await Promise.all(ids.map((id) => masterOf(r.redis, r.prefix, id)))).size).toBe(3);
    for (const id of ids) await newEvent(id, 50);
    const shoppers = await Promise.all(
      ids.flatMap((evt) => [0, 1, 2, 3].map(async (i) => ({ evt, ...(await join(evt, `cid-${evt}-${i}`)) }))),
    );
    // Open the gate: everyone is admitted with a ticket and buys one unit.
    await Promise.all(ids.map((id) => updateEvent(r.redis, r.prefix, id, { queueAll: false })));
    const results = await Promise.all(
      shoppers.map(async (s) => {
        const adm = await s.c.next('admitted', 20_000);
        return buy(`http://127.0.0.1:${checkout.port}`, adm.ticket);
      }),
    );
    expect(results.map((x) => x.status)).toEqual(shoppers.map(() => 202));
    for (const evt of ids) {
      await until(
        async () => (await ordersOf(evt)).filter((o) => o.status === 'confirmed').length === 4,
        20_000,
        `orders of ${evt} confirmed`,
      );
      await until(async () => (await r.redis.hlen(eventKeys(r.prefix, evt).reservation)) === 0, 10_000, 'reservations closed');
      const report = await reconcileEvent(r.redis, db.pool, r.prefix, evt);
      expect(report.ok).toBe(true);
      expect(report.rows[0]).toMatchObject({ sku: 'SKU-1' });
      // The console's sampler reads the event and the global hashes without mixing slots.
      const sample = await sampleEvent(r.redis, r.prefix, evt, Date.now(), undefined);
      expect(sample?.sample.stock['SKU-1']).toBe(46);
    }
    for (const s of shoppers) s.c.close();
  });

  it('keeps the place across a reconnect with the place token', async () => {
    const [evt] = await idsOverShards(r.redis, r.prefix, 1, 'recon');
    await newEvent(evt!, 10);
    const a = await join(evt!, 'cid-recon-1');
    const score = a.c.messages.find((m) => m.t === 'welcome');
    a.c.close();
    await a.c.closed;
    const b = await connect(gate.ws(evt!));
    b.send({ t: 'join', place: a.place });
    expect(await b.next('welcome')).toMatchObject({ placeId: a.placeId, resumed: true, score: (score as { score: number }).score });
    b.close();
  });

  it('pause holds the line, resume admits it; the last unit sells out and closes the waiting sockets', async () => {
    const [evt] = await idsOverShards(r.redis, r.prefix, 1, 'pause');
    await newEvent(evt!, 1, { queueAll: false, rate: 5, burst: 1 });
    await setEventState(r.redis, r.prefix, evt!, 'paused');
    await until(() => gate.ctx.events.get(evt!)?.state === 'paused', 10_000, 'paused on the gate');
    const first = await join(evt!, 'cid-pause-1');
    const second = await join(evt!, 'cid-pause-2');
    // Paused: the frames say so and nobody is admitted for a while (ten ticks at least).
    await until(() => first.c.messages.some((m) => m.t === 'state' && m.st === 'paused'), 10_000, 'paused frame');
    await new Promise((res) => setTimeout(res, 1000));
    expect(await r.redis.zcard(eventKeys(r.prefix, evt!).admitted)).toBe(0);
    await setEventState(r.redis, r.prefix, evt!, 'open');
    const adm = await first.c.next('admitted', 20_000);
    expect((await buy(`http://127.0.0.1:${checkout.port}`, adm.ticket)).status).toBe(202);
    // The last unit is gone: the event is soldout and the one still waiting is told and closed.
    const closed = await second.c.closed;
    expect(closed.code).toBe(CloseCode.SOLD_OUT);
    expect(await r.redis.hget(eventKeys(r.prefix, evt!).event, 'state')).toBe('soldout');
    await until(async () => (await ordersOf(evt!)).some((o) => o.status === 'confirmed'), 20_000, 'order confirmed');
    await until(async () => (await r.redis.hlen(eventKeys(r.prefix, evt!).reservation)) === 0, 10_000, 'reservation closed');
    expect((await reconcileEvent(r.redis, db.pool, r.prefix, evt!)).ok).toBe(true);
  });
});

/** Sanity of the cluster itself: the client really spreads keys over three masters. */
describe.skipIf(!HAVE_CLUSTER)('the local cluster', () => {
  it('has three masters, each with a replica, and answers a CROSSSLOT error for mixed keys', async () => {
    const c = (await redisFixture(testRedisEndpoint(true))) as RedisFixture & { redis: Redis };
    try {
      expect(c.redis instanceof Cluster).toBe(true);
      const slots = (await c.redis.cluster('SLOTS')) as unknown as [number, number, ...unknown[]][];
      expect(slots.length).toBe(3);
      for (const shard of slots) expect(shard.length, 'a master and its replica').toBe(4);
      const [a, b] = await idsOverShards(c.redis, c.prefix, 2);
      // An event's order stream shares the event's slot (its key carries the event's hash tag).
      const slot = (key: string) => c.redis.cluster('KEYSLOT', key);
      expect(await slot(eventKeys(c.prefix, a!).orders)).toBe(await slot(eventKeys(c.prefix, a!).stock));
      // The guard this suite relies on: a MULTI over two events' keys is refused.
      await expect(
        c.redis.multi().set(eventKeys(c.prefix, a!).seq, '1').set(eventKeys(c.prefix, b!).seq, '1').exec(),
      ).rejects.toThrow();
    } finally {
      await c.cleanup();
    }
  });
});
