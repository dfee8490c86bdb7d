// Audit ordering (issue 16 item 2): validate, record the intent, apply, mark applied; undo Redis
// on error; never an unaudited change. Failures of the audit log are made real with CHECK
// constraints on the test's own audit_log table (PostgreSQL refuses the insert or the update).
import { eventKeys, getEvent, setEventState } from '@sluice/shared';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ADMIN, eventBody, type Rig, startRig } from '../test-support.ts';

let rig: Rig;
const EVT = 'audit1';

beforeAll(async () => {
  rig = await startRig();
  expect((await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody(EVT) })).status).toBe(201);
  await setEventState(rig.redis, rig.prefix, EVT, 'open');
});
afterEach(async () => {
  await rig.pool.query('ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS refuse_test');
});
afterAll(async () => {
  await rig?.close();
});

const rows = async (action: string) =>
  (await rig.pool.query('SELECT status, error, before, after FROM audit_log WHERE event_id = $1 AND action = $2 ORDER BY id', [EVT, action]))
    .rows;
const initialStock = async (sku: string) =>
  (await rig.pool.query('SELECT initial_stock FROM products WHERE event_id = $1 AND sku = $2', [EVT, sku])).rows[0].initial_stock;
const left = async (sku: string) => Number(await rig.redis.hget(eventKeys(rig.prefix, EVT).stock, sku));

it('records an applied change as applied, with before and after', async () => {
  const res = await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'SKU-A', delta: 5 } });
  expect(res.status).toBe(200);
  expect(await rows('stock.adjust')).toEqual([
    { status: 'applied', error: null, before: { sku: 'SKU-A', left: 50 }, after: { sku: 'SKU-A', left: 55, initial: 55, state: 'open' } },
  ]);
});

it('refuses a stock change that would fail validation before writing anything', async () => {
  const before = { left: await left('SKU-A'), initial: await initialStock('SKU-A'), rows: (await rows('stock.adjust')).length };
  // Allowed by the body parser and by the live counter, but past the model's stock bound.
  const res = await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'SKU-A', delta: 100_000_000 - 10 } });
  expect(res.status).toBe(400);
  expect(res.json.error.field).toBe('delta');
  expect(await left('SKU-A')).toBe(before.left);
  expect(await initialStock('SKU-A')).toBe(before.initial);
  expect((await getEvent(rig.redis, rig.prefix, EVT))!.config.products[0]!.stock).toBe(before.initial);
  expect((await rows('stock.adjust')).length).toBe(before.rows);
});

it('applies nothing when the intent cannot be recorded', async () => {
  await rig.pool.query("ALTER TABLE audit_log ADD CONSTRAINT refuse_test CHECK (action <> 'event.pause')");
  const res = await rig.call('POST', `/v1/events/${EVT}/pause`, { token: ADMIN });
  expect(res.status).toBe(503);
  expect((await getEvent(rig.redis, rig.prefix, EVT))!.state).toBe('open');
  expect(await rows('event.pause')).toEqual([]);
});

it('undoes Redis and rolls back PostgreSQL when the change cannot be marked applied', async () => {
  await rig.pool.query("ALTER TABLE audit_log ADD CONSTRAINT refuse_test CHECK (NOT (action = 'stock.adjust' AND status = 'applied')) NOT VALID");
  const before = { left: await left('SKU-B'), initial: await initialStock('SKU-B') };
  const res = await rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku: 'SKU-B', delta: -20 } });
  expect(res.status).toBe(503);
  expect(await left('SKU-B')).toBe(before.left);
  expect(await initialStock('SKU-B')).toBe(before.initial);
  const rec = (await getEvent(rig.redis, rig.prefix, EVT))!;
  expect(rec.config.products[1]!.stock).toBe(before.initial);
  expect(rec.state).toBe('open');
  expect((await rows('stock.adjust')).at(-1)).toMatchObject({ status: 'failed', error: 'UNAVAILABLE', after: { sku: 'SKU-B', delta: -20 } });

  await rig.pool.query('ALTER TABLE audit_log DROP CONSTRAINT refuse_test');
  await rig.pool.query("ALTER TABLE audit_log ADD CONSTRAINT refuse_test CHECK (NOT (action = 'event.close' AND status = 'applied')) NOT VALID");
  expect((await rig.call('POST', `/v1/events/${EVT}/close`, { token: ADMIN })).status).toBe(503);
  expect((await getEvent(rig.redis, rig.prefix, EVT))!.state).toBe('open');
  expect((await rows('event.close')).map((r) => r.status)).toEqual(['failed']);
});
