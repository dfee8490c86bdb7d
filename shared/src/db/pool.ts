// PostgreSQL pools. `schema` sets the search_path (tests get a schema each).
import pg from 'pg';
import { ignoring } from '../observability/ignored.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(
  databaseUrl: string,
  opts: { schema?: string; max?: number; connectTimeoutMs?: number } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: 30_000,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // A dropped idle connection must not crash the process; queries report their own errors.
  pool.on('error', ignoring('postgres idle connection'));
  return pool;
}
