// Test fixtures against the real Redis and PostgreSQL: a unique key prefix or schema per test,
// removed afterwards.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createPool } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { createRedis, deleteByPrefix, type Redis, type RedisEndpoint } from '../redis.ts';

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

/**
 * Redis Cluster seed nodes for the cluster runs of the integration flows (`.ci/run` and
 * `scripts/redis-cluster.sh start` set it); empty when no local cluster runs. A name of its own,
 * not REDIS_CLUSTER_NODES: services spawned by single-Redis tests inherit the environment.
 */
export const TEST_CLUSTER_NODES: readonly string[] = (process.env.TEST_REDIS_CLUSTER_NODES ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/** The test Redis: the single server, or the local cluster when `cluster` is true. */
export function testRedisEndpoint(cluster = false): RedisEndpoint {
  return { redisUrl: TEST_REDIS_URL, redisClusterNodes: cluster ? TEST_CLUSTER_NODES : [] };
}

/** A Redis client and a fresh key prefix; cleanup deletes every key under the prefix. */
export async function redisFixture(target: string | RedisEndpoint = TEST_REDIS_URL): Promise<RedisFixture> {
  const redis = createRedis(target);
  const prefix = uniqueId('test');
  return {
    redis,
    prefix,
    async cleanup() {
      await deleteByPrefix(redis, prefix);
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
