// Test fixtures against the real Redis and PostgreSQL: a unique key prefix or schema per test,
// removed afterwards.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createPool } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { createRedis, type Redis } from '../redis.ts';

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const TEST_DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export function uniqueId(tag = 't'): string {
  return `${tag}${randomBytes(5).toString('hex')}`;
}

export interface RedisFixture {
  redis: Redis;
  prefix: string;
  cleanup(): Promise<void>;
}

/** A Redis client and a fresh key prefix; cleanup deletes every key under the prefix. */
export async function redisFixture(): Promise<RedisFixture> {
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = uniqueId('test');
  return {
    redis,
    prefix,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

export interface DbFixture {
  pool: pg.Pool;
  schema: string;
  /** DATABASE_URL-style settings for child processes: pass `options` via PGOPTIONS. */
  env: { DATABASE_URL: string; PGOPTIONS: string };
  cleanup(): Promise<void>;
}

/** A fresh schema with all migrations applied (or those up to `through`); cleanup drops it. */
export async function dbFixture(opts: { through?: string } = {}): Promise<DbFixture> {
  const schema = uniqueId('test_');
  const admin = createPool(TEST_DATABASE_URL, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = createPool(TEST_DATABASE_URL, { schema });
  await migrate(pool, opts);
  return {
    pool,
    schema,
    env: { DATABASE_URL: TEST_DATABASE_URL, PGOPTIONS: `-c search_path=${schema}` },
    async cleanup() {
      await pool.end();
      const a = createPool(TEST_DATABASE_URL, { max: 1 });
      await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await a.end();
    },
  };
}
