// Plain SQL migrations in shared/migrations, applied in file-name order inside one transaction
// each, recorded in schema_migrations, serialised across processes by an advisory lock.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { ignoring } from '../observability/ignored.ts';

const DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const LOCK_ID = 0x51c1ce;

export function migrationFiles(): string[] {
  return readdirSync(DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/**
 * Apply pending migrations; returns the names applied. `through` stops after that file (tests
 * build an older schema version with it, e.g. `migrate(pool, { through: '001_init.sql' })`).
 */
export async function migrate(pool: pg.Pool, opts: { through?: string } = {}): Promise<string[]> {
  const files = migrationFiles();
  if (opts.through !== undefined && !files.includes(opts.through)) throw new Error(`no migration ${opts.through}`);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (opts.through !== undefined && file > opts.through) break;
      if (done.has(file)) continue;
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(DIR + file, 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed`, { cause: err });
      }
    }
  } finally {
    // A session lock: released with the connection anyway if this fails.
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(ignoring('migration lock release'));
    client.release();
  }
  return applied;
}
