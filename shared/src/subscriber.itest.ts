// A subscriber that subscribes while its connection is still in the handshake, as the gate does
// right after creating it: the real Redis, reached through a TCP relay that hands the client what
// the server said in 30 ms batches (a loaded machine or a remote Redis: the handshake's CLIENT
// replies and the SUBSCRIBE reply arrive in one read). With ioredis's ready check on, its INFO
// then met a connection in subscriber mode: the gate's next SSUBSCRIBE was rejected ("Connection
// in subscriber mode, only subscriber commands may be used": the worker died at start-up) and
// the connection came back without its subscriptions.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, createSubscriber, type Redis } from './redis.ts';
import { TEST_REDIS_URL, uniqueId } from './testing/index.ts';

let relay: Server;
let relayUrl: string;
let pub: Redis;

beforeAll(async () => {
  const target = new URL(TEST_REDIS_URL);
  relay = createServer((client: Socket) => {
    const up = connect(Number(target.port || 6379), target.hostname);
    let held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    up.on('data', (d) => {
      held.push(d);
      timer ??= setTimeout(() => {
        timer = undefined;
        const out = Buffer.concat(held);
        held = [];
        if (!client.destroyed) client.write(out);
      }, 30);
    });
    client.on('data', (d) => up.write(d));
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    // Either side closing ends the pair (above); the socket errors that come with it say nothing more.
    client.on('error', () => {});
    up.on('error', () => {});
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const u = new URL(TEST_REDIS_URL);
  u.host = `127.0.0.1:${(relay.address() as { port: number }).port}`;
  relayUrl = u.toString();
  pub = createRedis(TEST_REDIS_URL);
});

afterAll(async () => {
  pub.disconnect();
  await new Promise((r) => relay.close(r));
});

describe('subscriber connection', () => {
  it('takes SUBSCRIBE and SSUBSCRIBE during its handshake, stays subscribed, reports no error', async () => {
    const tag = uniqueId('sub');
    const control = `${tag}:control`;
    const [tick, admit] = [`${tag}:{e1}:tick`, `${tag}:{e1}:admit`];
    const sub = createSubscriber(relayUrl);
    const errors: string[] = [];
    sub.client.on('error', (err: Error) => errors.push(err.message));
    const got: string[] = [];
    sub.onMessage((channel, message) => got.push(`${channel} ${message}`));
    try {
      // As the gate: the control channel, then each event's channels, as soon as it can.
      const subscribed = await new Promise<string>((resolve) => {
        sub.client.once('connect', () =>
          setImmediate(() => {
            sub
              .subscribe(control)
              .then(() => sub.ssubscribe(tick, admit))
              .then(
                () => resolve('ok'),
                (err: Error) => resolve(err.message),
              );
          }),
        );
      });
      expect(subscribed).toBe('ok');
      await pub.publish(control, 'c1');
      await pub.spublish(tick, 't1');
      const end = Date.now() + 5000;
      while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(got.sort()).toEqual([`${control} c1`, `${tick} t1`]);
      expect(errors).toEqual([]);
    } finally {
      sub.close();
    }
  });
});
