// Stock changes during a sale. The live count (`stock` hash) moves in stock-adjust-2.lua, which
// refuses to go negative and keeps the sold-out state true to the stock (no unit left → soldout,
// units back → open, announced at once); the products row's initial_stock in PostgreSQL moves by
// the same delta, so reconciliation (initial = left + sold + reserved) stays true; the event
// config's product stock follows too (bumping the version, so gates re-read). If PostgreSQL
// refuses, Redis is put back.
import {
  eventKeys,
  getEvent,
  LuaCode,
  type Pool,
  publishControl,
  type Redis,
  runScript,
  SluiceError,
  updateEvent,
} from '@sluice/shared';

export interface StockChange {
  sku: string;
  delta: number;
  leftBefore: number;
  leftAfter: number;
  initialAfter: number;
  version: number;
  /** The event's state after the change (soldout when no unit of any product is left). */
  state: string;
}

type AdjustReply = number | [number, number, string];

/** Run stock-adjust-2.lua; announce a state change it made. */
async function applyDelta(redis: Redis, prefix: string, evt: string, sku: string, delta: number, now: number) {
  const k = eventKeys(prefix, evt);
  const reply = await runScript<AdjustReply>(redis, 'stock-adjust', [k.event, k.stock], [sku, delta]);
  if (reply === LuaCode.UNKNOWN_SKU) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: no stock counter for ${sku}` });
  if (reply === LuaCode.STOCK_BELOW_ZERO) throw new SluiceError('INVALID_FIELD', { field: 'delta', message: 'delta: would leave fewer than 0 units' });
  if (typeof reply === 'number') throw new Error(`stock-adjust script returned ${reply}`);
  const [left, version, state] = reply;
  if (version > 0) await publishControl(redis, prefix, { evt, kind: 'state', version, at: now });
  return { left: Number(left), state };
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
  const { left: leftAfter, state } = await applyDelta(redis, prefix, evt, sku, delta, now);
  let initialAfter: number;
  try {
    const { rows } = await pool.query<{ initial_stock: number }>(
      'UPDATE products SET initial_stock = initial_stock + $3 WHERE event_id = $1 AND sku = $2 RETURNING initial_stock',
      [evt, sku, delta],
    );
    if (rows.length === 0) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: ${sku} is not in the database` });
    initialAfter = rows[0]!.initial_stock;
  } catch (err) {
    await applyDelta(redis, prefix, evt, sku, -delta, now);
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('UNAVAILABLE', { message: 'Could not record the stock change; nothing was changed.', cause: err });
  }
  const products = rec.config.products.map((p) => (p.sku === sku ? { ...p, stock: initialAfter } : p));
  const { after } = await updateEvent(redis, prefix, evt, { products }, { now });
  return { sku, delta, leftBefore: leftAfter - delta, leftAfter, initialAfter, version: after.version, state };
}
