// Case 10, hostile WebSocket input against a real gate cluster (two uWS worker processes on one
// port, the real Redis): oversized frames, binary garbage, invalid UTF-8, malformed JSON, unknown
// message types and a flood from one socket are each closed with the documented code
// (gate/PROTOCOL.md, shared/src/protocol/close-codes.ts); no gate process dies, and a shopper who
// joined before keeps receiving state frames and keeps their place.
import { CloseCode, eventKeys, globalKeys } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { type SpawnedGate, spawnGateCluster } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

let s: Stores;
let gate: SpawnedGate;
let evt: string;
let bystander: Client;
let bystanderPlace: string;

const url = () => `ws://127.0.0.1:${gate.port}/v1/events/${evt}/ws`;
const gatePids = async () => (await s.redis.hkeys(globalKeys(s.prefix).gates)).map((f) => Number(f.split(':').at(-1))).sort();

beforeAll(async () => {
  s = await openStores();
  gate = await spawnGateCluster(s, 2);
  // queueAll: nobody is admitted, so everyone stays in the line receiving state frames.
  evt = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
  await until(async () => (await s.redis.hget(eventKeys(s.prefix, evt).event, 'state')) === 'open', 15_000, 'event open');
  await until(async () => (await gatePids()).length === 2, 15_000, 'both gate processes reporting');
  bystander = await connect(url());
  bystander.send({ t: 'join', cid: 'bystander-0001' });
  bystanderPlace = (await bystander.next('welcome')).placeId;
}, 90_000);

afterAll(async () => {
  bystander?.close();
  await gate?.stop();
  await s?.cleanup();
});

/** A fresh socket that has joined (or not), then `act`, then the close code it got. */
async function closeCodeAfter(act: (c: Client) => void, join = true): Promise<number> {
  const c = await connect(url());
  if (join) {
    c.send({ t: 'join' });
    await c.next('welcome');
  }
  act(c);
  const { code } = await Promise.race([
    c.closed,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error('socket not closed')), 15_000)),
  ]);
  return code;
}

describe('hostile WebSocket input', () => {
  it('closes each kind of bad frame with its documented code', async () => {
    const pidsBefore = await gatePids();
    const results: Record<string, number> = {};
    results.overLimit = await closeCodeAfter((c) => c.send(JSON.stringify({ t: 'ping', pad: 'x'.repeat(1500) })));
    results.farOverLimit = await closeCodeAfter((c) => c.send('x'.repeat(64 * 1024)));
    results.binary = await closeCodeAfter((c) => c.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]), { binary: true }));
    results.binaryBeforeJoin = await closeCodeAfter((c) => c.ws.send(Buffer.from('{"t":"join"}'), { binary: true }), false);
    results.invalidUtf8 = await closeCodeAfter((c) => c.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0xfe, 0x7d]), { binary: false }));
    results.malformedJson = await closeCodeAfter((c) => c.send('{"t":"ping",'));
    results.jsonArray = await closeCodeAfter((c) => c.send('[1,2,3]'));
    results.jsonNumber = await closeCodeAfter((c) => c.send('42'));
    results.unknownType = await closeCodeAfter((c) => c.send({ t: 'admit-me' }));
    results.prototypeKey = await closeCodeAfter((c) => c.send('{"__proto__":{"t":"join"},"t":"constructor"}'));
    results.notJoinFirst = await closeCodeAfter((c) => c.send({ t: 'rank' }), false);
    results.badCid = await closeCodeAfter((c) => c.send({ t: 'join', cid: "'; DROP TABLE orders;--" }), false);
    results.forgedPlace = await closeCodeAfter((c) => c.send({ t: 'join', place: `${evt}.forged.token` }), false);
    results.secondJoin = await closeCodeAfter((c) => c.send({ t: 'join' }));
    results.flood = await closeCodeAfter((c) => {
      for (let i = 0; i < 200; i++) c.send({ t: 'ping' });
    });
    // uWS cuts frames over twice the limit and text frames that are not UTF-8 before the gate
    // sees them, without a close frame: the client sees 1006 (PROTOCOL.md says so).
    expect([1006, 1009]).toContain(results.farOverLimit);
    expect([1006, 1007]).toContain(results.invalidUtf8);
    expect({ ...results, farOverLimit: 0, invalidUtf8: 0 }).toEqual({
      overLimit: CloseCode.TOO_LARGE,
      farOverLimit: 0,
      binary: CloseCode.BAD_MESSAGE,
      binaryBeforeJoin: CloseCode.BAD_MESSAGE,
      invalidUtf8: 0,
      malformedJson: CloseCode.BAD_MESSAGE,
      jsonArray: CloseCode.BAD_MESSAGE,
      jsonNumber: CloseCode.BAD_MESSAGE,
      unknownType: CloseCode.BAD_MESSAGE,
      prototypeKey: CloseCode.BAD_MESSAGE,
      notJoinFirst: CloseCode.JOIN_TIMEOUT,
      badCid: CloseCode.BAD_MESSAGE,
      forgedPlace: CloseCode.PLACE_INVALID,
      secondJoin: CloseCode.BAD_MESSAGE,
      flood: CloseCode.FLOOD,
    });

    // The processes are unharmed: same pids, still answering.
    expect(await gatePids()).toEqual(pidsBefore);
    expect(gate.proc.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${gate.port}/readyz`)).status).toBe(200);
    // The bystander is still connected, still receives state frames, and still has its place.
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
    const seen = bystander.messages.length;
    await until(() => bystander.messages.length > seen + 2, 10_000, 'bystander keeps receiving state frames');
    expect(await s.redis.zscore(eventKeys(s.prefix, evt).queue, bystanderPlace)).not.toBeNull();
    // And a newcomer can still join.
    const newcomer = await connect(url());
    newcomer.send({ t: 'join' });
    expect((await newcomer.next('welcome')).phase).toBe('queue');
    newcomer.close();
  }, 120_000);
});
