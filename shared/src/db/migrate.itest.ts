import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbFixture, type DbFixture } from '../testing/index.ts';
import { migrate, migrationFiles } from './migrate.ts';

let db: DbFixture;
beforeAll(async () => {
  db = await dbFixture();
});
afterAll(() => db.cleanup());

describe('migrations', () => {
  it('records every file once and applies nothing the second time', async () => {
    const rows = (await db.pool.query('SELECT name FROM schema_migrations ORDER BY name')).rows.map((r) => r.name);
    expect(rows).toEqual(migrationFiles());
    expect(await migrate(db.pool)).toEqual([]);
  });

  it('enforces one order per ticket', async () => {
    await db.pool.query(`INSERT INTO events (id, name) VALUES ('e1', 'E')`);
    await db.pool.query(`INSERT INTO products (event_id, sku, name, price_cents, initial_stock) VALUES ('e1', 'A', 'A', 1, 5)`);
    const insert = (id: string) =>
      db.pool.query(
        `INSERT INTO orders (order_id, event_id, sku, qty, ticket_jti, place_id, status, amount_cents)
         VALUES ($1, 'e1', 'A', 1, 'jti-1', 'p', 'confirmed', 1) ON CONFLICT DO NOTHING`,
        [id],
      );
    await insert('00000000-0000-4000-8000-000000000001');
    await insert('00000000-0000-4000-8000-000000000002');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM orders');
    expect(rows[0].n).toBe(1);
  });
});
