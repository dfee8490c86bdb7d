// Stock changes from the admin API keep the event's state true to its stock (issue 16 item 1):
// removing the last units marks the event sold out and tells every process at once on the
// control channel; units coming back open it again. Real Redis and PostgreSQL.
import { eventKeys, getEvent, globalKeys, type Redis, setEventState } from '@sluice/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN, eventBody, type Rig, startRig, until } from '../test-support.ts';

let rig: Rig;
let sub: Redis;
const messages: { evt: string; kind: string; version: number }[] = [];
const EVT = 'stock0';

beforeAll(async () => {
  rig = await startRig();
  sub = rig.redis.duplicate();
  await sub.subscribe(globalKeys(rig.prefix).control);
  sub.on('message', (_c, m) => messages.push(JSON.parse(m)));
  const res = await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody(EVT) });
  expect(res.status).toBe(201);
  await setEventState(rig.redis, rig.prefix, EVT, 'open');
});

afterAll(async () => {
  sub?.disconnect();
  await rig?.close();
});

const stock = (sku: string, delta: number) => rig.call('POST', `/v1/events/${EVT}/stock`, { token: ADMIN, body: { sku, delta } });

it('marks the event sold out when the console sets the last stock to 0, and open again when units come back', async () => {
  const k = eventKeys(rig.prefix, EVT);
  expect((await stock('SKU-B', -20)).status).toBe(200);
  expect((await getEvent(rig.redis, rig.prefix, EVT))!.state).toBe('open'); // SKU-A still has 50

  const res = await stock('SKU-A', -50);
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ leftAfter: 0, state: 'soldout' });
  expect(await rig.redis.hget(k.event, 'state')).toBe('soldout');
  // The change is announced as a state change at the version that made it.
  const soldAt = await until(() => messages.find((m) => m.evt === EVT && m.kind === 'state'));
  const seen = await rig.call('GET', `/v1/events/${EVT}`, { token: ADMIN });
  expect(seen.json.state).toBe('soldout');
  expect(seen.json.version).toBeGreaterThanOrEqual(soldAt.version);

  const back = await stock('SKU-B', 3);
  expect(back.json).toMatchObject({ leftAfter: 3, state: 'open' });
  expect(await rig.redis.hget(k.event, 'state')).toBe('open');
  await until(() => messages.find((m) => m.evt === EVT && m.kind === 'state' && m.version > soldAt.version));
});

it('leaves a closed event closed whatever the stock', async () => {
  await setEventState(rig.redis, rig.prefix, EVT, 'closed');
  expect((await stock('SKU-B', -3)).json).toMatchObject({ leftAfter: 0, state: 'closed' });
  expect((await stock('SKU-B', 5)).json).toMatchObject({ leftAfter: 5, state: 'closed' });
});
