// Test fixture for the checkout tier: a fresh Redis prefix and PostgreSQL schema, a signing key,
// an open event with its products in both stores, tickets minted like the gate mints them, and
// typed configs for the API and the worker. Everything is real; nothing is mocked.
import {
  buildClaims,
  checkoutSchema,
  createEvent,
  type EventConfig,
  ensureKeyring,
  eventKeys,
  type Keyring,
  loadConfig,
  loadKeyring,
  LocalKeys,
  persistEvent,
  setEventState,
  issueTicket,
  workerSchema,
} from '@sluice/shared';
import {
  type DbFixture,
  dbFixture,
  type RedisFixture,
  redisFixture,
  TEST_CLUSTER_NODES,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  testRedisEndpoint,
  uniqueId,
} from '@sluice/shared/testing/index.ts';

export interface SaleOptions {
  products?: { sku: string; stock: number; limitPerShopper?: number; priceCents?: number }[];
  env?: Record<string, string>;
  /** On the local Redis Cluster (TEST_REDIS_CLUSTER_NODES) instead of the single Redis. */
  cluster?: boolean;
}

export interface Sale {
  evt: string;
  config: EventConfig;
  r: RedisFixture;
  db: DbFixture;
  keyring: Keyring;
  keys: LocalKeys;
  k: ReturnType<typeof eventKeys>;
  checkoutConfig: ReturnType<typeof loadConfig<typeof checkoutSchema>>;
  workerConfig: ReturnType<typeof loadConfig<typeof workerSchema>>;
  /** Environment for a spawned worker process. */
  workerEnv: Record<string, string>;
  /** A valid ticket for `placeId` (jti = sub = placeId), as the gate would sign it. */
  ticket(
    placeId?: string,
    over?: { nowMs?: number; ttlS?: number; evt?: string; aud?: string; iss?: string; jkt?: string },
  ): Promise<string>;
  /** One more open event `id` with the same products, in both stores (another slot on a cluster). */
  addEvent(id: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function saleFixture(opts: SaleOptions = {}): Promise<Sale> {
  const r = await redisFixture(testRedisEndpoint(opts.cluster === true));
  const db = await dbFixture();
  const evt = uniqueId('e');
  const now = Date.now();
  const products = (opts.products ?? [{ sku: 'SKU-1', stock: 10 }]).map((p) => ({
    sku: p.sku,
    name: `Product ${p.sku}`,
    priceCents: p.priceCents ?? 1000,
    stock: p.stock,
    limitPerShopper: p.limitPerShopper ?? 1,
  }));
  const addEvent = async (id: string) => {
    const rec = await createEvent(
      r.redis,
      r.prefix,
      { id, name: `Sale ${id}`, startAt: now - 1000, products },
      now,
    );
    await setEventState(r.redis, r.prefix, id, 'open', now);
    await persistEvent(db.pool, rec.config);
    return rec;
  };
  const rec = await addEvent(evt);
  await ensureKeyring(r.redis, r.prefix, now);
  const keyring = await loadKeyring(r.redis, r.prefix, now);
  const keys = await LocalKeys.from(keyring.jwks);

  const env = {
    REDIS_URL: TEST_REDIS_URL,
    DATABASE_URL: TEST_DATABASE_URL,
    SLUICE_PREFIX: r.prefix,
    LOG_LEVEL: 'silent',
    ...(opts.cluster ? { REDIS_CLUSTER_NODES: TEST_CLUSTER_NODES.join(',') } : {}),
    ...opts.env,
  };
  const checkoutConfig = loadConfig(checkoutSchema, {
    CHECKOUT_HOST: '127.0.0.1',
    CHECKOUT_PORT: '0',
    ...env,
  });
  const workerEnv = {
    WORKER_METRICS_PORT: '0',
    WORKER_RETRY_MS: '200',
    SWEEP_INTERVAL_MS: '200',
    ...env,
    PGOPTIONS: db.env.PGOPTIONS,
  };
  const workerConfig = loadConfig(workerSchema, workerEnv);

  return {
    evt,
    config: rec.config,
    r,
    db,
    keyring,
    keys,
    k: eventKeys(r.prefix, evt),
    checkoutConfig,
    workerConfig,
    workerEnv,
    async ticket(placeId = uniqueId('p'), over = {}) {
      const nowMs = over.nowMs ?? Date.now();
      const claims = buildClaims({
        placeId,
        evt: over.evt ?? evt,
        admittedAtMs: nowMs,
        ttlS: over.ttlS ?? 600,
        nowMs,
        iss: over.iss ?? checkoutConfig.ticketIssuer,
        aud: over.aud ?? checkoutConfig.ticketAudience,
        jkt: over.jkt,
      });
      // Recorded like the gate records every ticket it issues (the purchase script checks it).
      return issueTicket(r.redis, r.prefix, keyring.current, claims);
    },
    async addEvent(id) {
      await addEvent(id);
    },
    async cleanup() {
      await r.cleanup();
      await db.cleanup();
    },
  };
}

/** Poll `probe` until it returns a truthy value or `timeoutMs` passes (then throw `what`). */
export async function until<T>(
  probe: () => Promise<T>,
  what: string,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

/** Run `tasks` with at most `limit` at once; results in order. */
export async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  });
  await Promise.all(runners);
  return out;
}
