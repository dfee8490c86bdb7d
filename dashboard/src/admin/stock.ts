// Stock changes during a sale. The live count (`stock` hash) moves by HINCRBY in a script that
// refuses to go negative; the products row's initial_stock in PostgreSQL moves by the same delta,
// so reconciliation (initial = left + sold + reserved) stays true; the event config's product
// stock follows too (bumping the version, so gates re-read). If PostgreSQL refuses, Redis is put back.
import { readFileSync } from 'node:fs';
import { eventKeys, getEvent, type Pool, type Redis, SluiceError, updateEvent } from '@sluice/shared';

const LUA = readFileSync(new URL('./stock-adjust-1.lua', import.meta.url), 'utf8');
const CMD = 'sluice_dash_stock_adjust';

export interface StockChange {
  sku: string;
  delta: number;
  leftBefore: number;
  leftAfter: number;
  initialAfter: number;
  version: number;
}

export function defineStockCommand(redis: Redis): void {
  redis.defineCommand(CMD, { numberOfKeys: 1, lua: LUA });
}

export async function adjustStock(
  redis: Redis,
  pool: Pool,
  prefix: string,
  evt: string,
  sku: string,
  delta: number,
  now: number,
): Promise<StockChange> {
  const rec = await getEvent(redis, prefix, evt);
  if (!rec) throw new SluiceError('UNKNOWN_EVENT');
  const product = rec.config.products.find((p) => p.sku === sku);
  if (!product) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: no product ${sku} in ${evt}` });
  const k = eventKeys(prefix, evt);
  const run = (redis as unknown as Record<string, (...a: unknown[]) => Promise<number>>)[CMD]!;
  const leftAfter = Number(await run.call(redis, k.stock, sku, delta));
  if (leftAfter === -1) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: no stock counter for ${sku}` });
  if (leftAfter === -2) throw new SluiceError('INVALID_FIELD', { field: 'delta', message: 'delta: would leave fewer than 0 units' });
  let initialAfter: number;
  try {
    const { rows } = await pool.query<{ initial_stock: number }>(
      'UPDATE products SET initial_stock = initial_stock + $3 WHERE event_id = $1 AND sku = $2 RETURNING initial_stock',
      [evt, sku, delta],
    );
    if (rows.length === 0) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: ${sku} is not in the database` });
    initialAfter = rows[0]!.initial_stock;
  } catch (err) {
    await redis.hincrby(k.stock, sku, -delta);
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('UNAVAILABLE', { message: 'Could not record the stock change; nothing was changed.', cause: err });
  }
  const products = rec.config.products.map((p) => (p.sku === sku ? { ...p, stock: initialAfter } : p));
  const { after } = await updateEvent(redis, prefix, evt, { products }, { now });
  return { sku, delta, leftBefore: leftAfter - delta, leftAfter, initialAfter, version: after.version };
}
