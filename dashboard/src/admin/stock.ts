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
  type PoolClient,
  publishControl,
  type Redis,
  runScript,
  SluiceError,
  updateEvent,
  validateEvent,
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

/**
 * Validate, then move the live stock (Redis) and the initial stock (PostgreSQL, on `db`) by
 * `delta`; the returned `undo` puts Redis back if the change cannot be recorded.
 */
export async function adjustStock(
  redis: Redis,
  db: PoolClient,
  prefix: string,
  evt: string,
  sku: string,
  delta: number,
  now: number,
): Promise<StockChange & { undo: () => Promise<void> }> {
  const rec = await getEvent(redis, prefix, evt);
  if (!rec) throw new SluiceError('UNKNOWN_EVENT');
  const product = rec.config.products.find((p) => p.sku === sku);
  if (!product) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: no product ${sku} in ${evt}` });
  // Validate the event as it will be before writing anything (the stock bound lives in the model).
  try {
    validateEvent({ ...rec.config, products: rec.config.products.map((p) => (p.sku === sku ? { ...p, stock: p.stock + delta } : p)) });
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'INVALID_FIELD') {
      throw new SluiceError('INVALID_FIELD', { field: 'delta', message: `delta: ${err.message}`, cause: err });
    }
    throw err;
  }
  const { left: leftAfter, state } = await applyDelta(redis, prefix, evt, sku, delta, now);
  const undo = async () => {
    await applyDelta(redis, prefix, evt, sku, -delta, now);
  };
  let initialAfter: number;
  try {
    const { rows } = await db.query<{ initial_stock: number }>(
      'UPDATE products SET initial_stock = initial_stock + $3 WHERE event_id = $1 AND sku = $2 RETURNING initial_stock',
      [evt, sku, delta],
    );
    if (rows.length === 0) throw new SluiceError('UNKNOWN_SKU', { field: 'sku', message: `sku: ${sku} is not in the database` });
    initialAfter = rows[0]!.initial_stock;
    const products = rec.config.products.map((p) => (p.sku === sku ? { ...p, stock: initialAfter } : p));
    const { after } = await updateEvent(redis, prefix, evt, { products }, { now });
    const undoAll = async () => {
      await undo();
      await updateEvent(redis, prefix, evt, { products: rec.config.products }, { now, expectVersion: after.version });
    };
    return { sku, delta, leftBefore: leftAfter - delta, leftAfter, initialAfter, version: after.version, state, undo: undoAll };
  } catch (err) {
    await undo();
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('UNAVAILABLE', { message: 'Could not record the stock change; nothing was changed.', cause: err });
  }
}
