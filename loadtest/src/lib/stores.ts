// The bench's own corner of the local Redis and PostgreSQL: a unique key prefix and a fresh
// schema with the migrations applied; cleanup removes both.
import { randomBytes } from 'node:crypto';
import { createPool, createRedis, migrate, type Pool, type Redis } from '@sluice/shared';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface Stores {
  redis: Redis;
  pool: Pool;
  prefix: string;
  schema: string;
  /** Environment for child processes (services) to use these stores. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function openStores(tag = 'bench'): Promise<Stores> {
  const id = `${tag}${randomBytes(4).toString('hex')}`;
  const prefix = id;
  const schema = `${id}_s`;
  const redis = createRedis(REDIS_URL);
  const admin = createPool(DATABASE_URL, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  // The bench's own reads may wait: on a machine at load 30+ a new PostgreSQL connection took
  // over the services' 3 s (a flash-sale phase failed on it after the sale had run).
  const pool = createPool(DATABASE_URL, { schema, max: 4, connectTimeoutMs: 30_000 });
  await migrate(pool);
  return {
    redis,
    pool,
    prefix,
    schema,
    env: {
      REDIS_URL,
      DATABASE_URL,
      PGOPTIONS: `-c search_path=${schema}`,
      SLUICE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    },
    async cleanup() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await pool.end().catch((err: unknown) => void err) /* best-effort cleanup */;
      const a = createPool(DATABASE_URL, { max: 1 });
      await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((err: unknown) => void err) /* best-effort cleanup */;
      await a.end();
    },
  };
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let i = 0; i < 1_000_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    // bounded: one SCAN page (COUNT 1000)
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}
