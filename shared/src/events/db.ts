// The event's catalogue in PostgreSQL: the initial stock recorded there is what reconciliation
// checks Redis and the orders against.
import type pg from 'pg';
import type { EventConfig } from './model.ts';

export async function persistEvent(pool: pg.Pool, cfg: EventConfig): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO events (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = $2', [
      cfg.id,
      cfg.name,
    ]);
    for (const p of cfg.products) {
      await client.query(
        `INSERT INTO products (event_id, sku, name, price_cents, initial_stock, limit_per_shopper)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (event_id, sku) DO UPDATE
           SET name = $3, price_cents = $4, initial_stock = $5, limit_per_shopper = $6`,
        [cfg.id, p.sku, p.name, p.priceCents, p.stock, p.limitPerShopper],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
