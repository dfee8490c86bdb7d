import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbFixture, type DbFixture } from '../testing/index.ts';
import { migrate, migrationFiles } from './migrate.ts';

let db: DbFixture;
beforeAll(async () => {
  db = await dbFixture();
});
afterAll(() => db.cleanup());

const insertOrder = (pool: DbFixture['pool'], evt: string, id: string, jti: string) =>
  pool.query(
    `INSERT INTO orders (order_id, event_id, sku, qty, ticket_jti, place_id, status, amount_cents)
     VALUES ($1, $2, 'A', 1, $3, 'p', 'confirmed', 1) ON CONFLICT DO NOTHING`,
    [id, evt, jti],
  );
const ID1 = '00000000-0000-4000-8000-000000000001';
const ID2 = '00000000-0000-4000-8000-000000000002';

describe('migrations', () => {
  it('records every file once and applies nothing the second time', async () => {
    const rows = (await db.pool.query('SELECT name FROM schema_migrations ORDER BY name')).rows.map(
      (r) => r.name,
    );
    expect(rows).toEqual(migrationFiles());
    expect(await migrate(db.pool)).toEqual([]);
  });

  it('enforces one order per ticket of an event, and keys orders by event', async () => {
    for (const evt of ['e1', 'e2']) {
      await db.pool.query(`INSERT INTO events (id, name) VALUES ($1, 'E')`, [evt]);
      await db.pool.query(
        `INSERT INTO products (event_id, sku, name, price_cents, initial_stock) VALUES ($1, 'A', 'A', 1, 5)`,
        [evt],
      );
    }
    await insertOrder(db.pool, 'e1', ID1, 'jti-1');
    await insertOrder(db.pool, 'e1', ID2, 'jti-1'); // same ticket, same event: skipped
    await insertOrder(db.pool, 'e1', ID1, 'jti-2'); // same order, same event: skipped
    // Unique per event only (the keys a table distributed by event can enforce).
    await insertOrder(db.pool, 'e2', ID1, 'jti-1');
    const { rows } = await db.pool.query(
      'SELECT event_id, order_id::text, ticket_jti FROM orders ORDER BY event_id',
    );
    expect(rows).toEqual([
      { event_id: 'e1', order_id: ID1, ticket_jti: 'jti-1' },
      { event_id: 'e2', order_id: ID1, ticket_jti: 'jti-1' },
    ]);
  });
});

describe('migration 002: orders keyed by event', () => {
  let v1: DbFixture;
  beforeAll(async () => {
    v1 = await dbFixture({ through: '001_init.sql' });
  });
  afterAll(() => v1.cleanup());

  const keys = async () =>
    (
      await v1.pool.query<{ def: string }>(
        `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
         WHERE c.conrelid = 'orders'::regclass AND c.contype IN ('p', 'u') ORDER BY def`,
      )
    ).rows.map((r) => r.def);

  it('moves a version 1 database to (event_id, …) keys and keeps its rows', async () => {
    expect(await keys()).toEqual(['PRIMARY KEY (order_id)', 'UNIQUE (ticket_jti)']);
    await v1.pool.query(`INSERT INTO events (id, name) VALUES ('e1', 'E1'), ('e2', 'E2')`);
    await v1.pool.query(
      `INSERT INTO products (event_id, sku, name, price_cents, initial_stock)
       VALUES ('e1', 'A', 'A', 100, 5), ('e2', 'A', 'A', 200, 5)`,
    );
    await v1.pool.query(
      `INSERT INTO orders (order_id, event_id, sku, qty, ticket_jti, place_id, status, fail_reason, amount_cents,
                           payment_ref, idempotency_key, created_at)
       VALUES ($1, 'e1', 'A', 2, 'j1', 'p1', 'confirmed', NULL, 200, 'pay-1', 'k1', '2026-01-02T03:04:05Z'),
              ($2, 'e2', 'A', 1, 'j2', 'p2', 'failed', 'declined', 200, NULL, NULL, '2026-01-02T03:04:06Z')`,
      [ID1, ID2],
    );
    const dump = 'SELECT *, order_id::text AS id FROM orders ORDER BY order_id';
    const before = (await v1.pool.query(dump)).rows;

    expect(await migrate(v1.pool)).toEqual(migrationFiles().filter((f) => f > '001_init.sql'));
    expect((await v1.pool.query(dump)).rows).toEqual(before);
    expect(await keys()).toEqual(['PRIMARY KEY (event_id, order_id)', 'UNIQUE (event_id, ticket_jti)']);

    // The migrated table enforces the new keys on old rows.
    await insertOrder(v1.pool, 'e1', ID2, 'j1');
    await insertOrder(v1.pool, 'e2', '00000000-0000-4000-8000-000000000003', 'j1');
    const { rows } = await v1.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM orders WHERE ticket_jti = 'j1'`,
    );
    expect(rows[0]?.n).toBe(2);
  });
});
