// Order writes against the real PostgreSQL, on the migrated table and on the same table
// hash-partitioned by event (docs/sql/partition-orders.sql): the same behaviour on both.
import { readFileSync } from 'node:fs';
import { type DbFixture, dbFixture } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OrderRow, writeOrders } from './persist.ts';

const PARTITION_SQL = readFileSync(
  new URL('../../../docs/sql/partition-orders.sql', import.meta.url),
  'utf8',
);

const row = (evt: string, n: number, jti: string, over: Partial<OrderRow> = {}): OrderRow => ({
  orderId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  evt,
  sku: 'A',
  qty: 1,
  jti,
  placeId: jti,
  status: 'confirmed',
  failReason: null,
  amountCents: 100,
  paymentRef: null,
  idempotencyKey: null,
  createdAt: Date.UTC(2026, 0, 1),
  ...over,
});

const LAYOUTS = {
  'migrated table': async (_db: DbFixture) => {},
  'table partitioned by event_id': async (db: DbFixture) => {
    await db.pool.query(PARTITION_SQL);
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'orders'::regclass`,
    );
    expect(rows[0].n).toBe(4);
  },
};

describe.each(Object.entries(LAYOUTS))('writeOrders on the %s', (_name, layout) => {
  let db: DbFixture;
  beforeAll(async () => {
    db = await dbFixture();
    for (const evt of ['e1', 'e2']) {
      await db.pool.query(`INSERT INTO events (id, name) VALUES ($1, 'E')`, [evt]);
      await db.pool.query(
        `INSERT INTO products (event_id, sku, name, price_cents, initial_stock) VALUES ($1, 'A', 'A', 100, 9)`,
        [evt],
      );
    }
    // A row written before the layout change must survive it.
    expect(await writeOrders(db.pool, [row('e1', 9, 'old')])).toEqual([
      { status: 'confirmed', failReason: null, inserted: true },
    ]);
    await layout(db);
  });
  afterAll(() => db.cleanup());

  it('writes, recognises a redelivery, refuses a second order for a ticket of the same event', async () => {
    const out = await writeOrders(db.pool, [
      row('e1', 1, 'j1'),
      row('e1', 2, 'j2', { status: 'failed', failReason: 'declined' }),
      row('e1', 9, 'old'), // redelivery of the row written before
    ]);
    expect(out).toEqual([
      { status: 'confirmed', failReason: null, inserted: true },
      { status: 'failed', failReason: 'declined', inserted: true },
      { status: 'confirmed', failReason: null, inserted: false },
    ]);
    // Same order again (recorded as it was), another order for ticket j1 of e1 (no row: null),
    // and the same ticket id in another event (its own order).
    const again = await writeOrders(db.pool, [row('e1', 2, 'j2'), row('e1', 3, 'j1'), row('e2', 4, 'j1')]);
    expect(again).toEqual([
      { status: 'failed', failReason: 'declined', inserted: false },
      null,
      { status: 'confirmed', failReason: null, inserted: true },
    ]);
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    expect(rows[0]?.n).toBe(4);
  });

  it('fails only the row that breaks a constraint', async () => {
    const out = await writeOrders(db.pool, [row('e2', 5, 'j5'), row('e2', 6, 'j6', { sku: 'NOPE' })]);
    expect(out[0]).toEqual({ status: 'confirmed', failReason: null, inserted: true });
    expect(out[1]).toBeInstanceOf(Error);
  });
});
