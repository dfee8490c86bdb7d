// Checkout's door on the local Redis Cluster (scripts/redis-cluster.sh): events on every shard,
// each event's `issued` messages on its own sharded channel. Junk is refused at the door (counted
// by sluice_checkout_door_refusals_total, the purchase script never runs for it); a ticket issued
// a moment ago, whose digest has not reached checkout yet, buys (the barrier is an echo on the
// event's own channel, which comes back after the digest); after the shard's subscriber
// connection is lost, a digest published while nobody listened is found by the new read and the
// door works again.
import { buildClaims, Cluster, eventKeys, signTicket, ticketDigest } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutApp, startCheckout } from '../../checkout/src/app.ts';
import { type Sale, saleFixture, until } from '../../checkout/src/testing/sale.ts';
import { HAVE_CLUSTER, idsOverShards, masterOf, requireClusterOrWarn } from '../support/cluster.ts';

requireClusterOrWarn('tests/cluster/door.itest.ts');

/** ioredis's sharded subscriber connection for a slot (private API: tests only). */
interface ShardConnection {
  stream: { pause(): void; resume(): void; destroy(): void };
  status: string;
}
function shardConnection(client: Cluster, slot: number): ShardConnection {
  const group = (
    client as unknown as {
      shardedSubscribers: { getResponsibleSubscriber(s: number): { getInstance(): ShardConnection } };
    }
  ).shardedSubscribers;
  return group.getResponsibleSubscriber(slot).getInstance();
}

describe.runIf(HAVE_CLUSTER)('checkout door on a Redis Cluster', () => {
  let sale: Sale;
  let app: CheckoutApp;
  let base: string;
  let ids: string[];

  const buy = (ticket: string, body: unknown = { sku: 'SKU-1', qty: 1 }) =>
    fetch(`${base}/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
      body: JSON.stringify(body),
    });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
  const doorRefusals = async (code: string): Promise<number> => {
    const m = await app.registry.getSingleMetric('sluice_checkout_door_refusals_total')?.get();
    return m?.values.find((v) => v.labels.code === code)?.value ?? 0;
  };
  const claims = (placeId: string, evt: string) => {
    const now = Date.now();
    const { ticketIssuer: iss, ticketAudience: aud } = sale.checkoutConfig;
    return buildClaims({ placeId, evt, admittedAtMs: now, ttlS: 600, nowMs: now, iss, aud });
  };
  /** Signed with the current key (looks valid), never issued. */
  const unissued = (placeId: string, evt: string) => signTicket(sale.keyring.current, claims(placeId, evt));
  const slotOf = async (evt: string) =>
    Number(await sale.r.redis.cluster('KEYSLOT', eventKeys(sale.r.prefix, evt).issuedChannel));
  const sub = () => app.issued.sub.client as Cluster;
  const synced = (evt: string) =>
    until(async () => app.issued.status()[evt]?.synced === true, `${evt}: issued view synced`);

  beforeAll(async () => {
    sale = await saleFixture({
      cluster: true,
      products: [{ sku: 'SKU-1', stock: 50, limitPerShopper: 1 }],
      // Correctness here, not fail-fast timing on a loaded machine.
      env: { CHECKOUT_REDIS_TIMEOUT_MS: '5000' },
    });
    expect(sale.r.redis instanceof Cluster).toBe(true);
    ids = await idsOverShards(sale.r.redis, sale.r.prefix, 3, 'door');
    expect(new Set(await Promise.all(ids.map((id) => masterOf(sale.r.redis, sale.r.prefix, id)))).size).toBe(
      3,
    );
    for (const id of ids) await sale.addEvent(id);
    app = await startCheckout(sale.checkoutConfig, { keys: sale.keys, pool: sale.db.pool });
    base = `http://127.0.0.1:${app.port}`;
    for (const evt of ids) {
      // The first ticket starts the event's view (it takes the full path meanwhile).
      await buy(await sale.ticket(undefined, { evt }), { sku: 'SKU-1', qty: 0 });
      await synced(evt);
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await sale?.cleanup();
  });

  it('refuses junk at the door for events on every shard; the purchase script never sees it', async () => {
    const before = await doorRefusals('TICKET_SIGNATURE');
    for (const evt of ids) {
      for (let i = 0; i < 5; i++) {
        const res = await buy(await unissued(`junk-${i}`, evt));
        expect(res.status).toBe(401);
        expect(await codeOf(res)).toBe('TICKET_SIGNATURE');
      }
    }
    // Counted only where the door refuses (uws-route.ts): all 15 never reached the use case.
    expect((await doorRefusals('TICKET_SIGNATURE')) - before).toBe(15);
    for (const evt of ids)
      expect(await sale.r.redis.hget(eventKeys(sale.r.prefix, evt).stock, 'SKU-1')).toBe('50');
  });

  it('sells to tickets issued a moment ago on every shard, their digests held back on the way', async () => {
    const before = await doorRefusals('TICKET_SIGNATURE');
    for (const evt of ids) {
      // Hold back what the event's shard sends checkout: the digest arrives after the request.
      const conn = shardConnection(sub(), await slotOf(evt));
      conn.stream.pause();
      const fresh = await sale.ticket(undefined, { evt });
      const pending = buy(fresh);
      await new Promise((r) => setTimeout(r, 300));
      conn.stream.resume();
      expect((await pending).status).toBe(202);
      // And a burst issued and presented at once, without holding anything back.
      const burst = await Promise.all([0, 1, 2, 3].map(() => sale.ticket(undefined, { evt })));
      expect((await Promise.all(burst.map((t) => buy(t)))).map((r) => r.status)).toEqual([
        202, 202, 202, 202,
      ]);
    }
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(before);
  });

  it("reads an event again after its shard's subscriber connection is lost; a ticket issued while nobody listened buys", async () => {
    const evt = ids[0]!;
    const k = eventKeys(sale.r.prefix, evt);
    const slot = await slotOf(evt);
    // Issue a ticket the moment ioredis reports the connection gone, before it has subscribed
    // again: SPUBLISH answers 0 receivers (the digest is lost to checkout; only the record has it).
    let lost: { ticket: string; receivers: number } | undefined;
    for (let round = 0; round < 5; round++) {
      const placeId = `gap-${round}`;
      const ticket = await signTicket(sale.keyring.current, claims(placeId, evt));
      const published = new Promise<number>((resolve, reject) => {
        sub().once('-node', () => {
          const pipe = sale.r.redis
            .pipeline()
            .hset(k.ticketHash, placeId, ticketDigest(ticket))
            .spublish(k.issuedChannel, ticketDigest(ticket));
          pipe.exec().then((r) => resolve(Number(r?.[1]?.[1])), reject);
        });
      });
      shardConnection(sub(), slot).stream.destroy();
      lost = { ticket, receivers: await published };
      // ioredis has subscribed again (a marker-like probe: not a digest, ignored), then the view
      // must be complete: the door judges nothing by a view that may have missed a message.
      await until(
        async () => Number(await sale.r.redis.spublish(k.issuedChannel, '~probe')) > 0,
        'subscribed again',
      );
      await synced(evt);
      if (lost.receivers === 0) break;
    }
    expect(lost?.receivers, 'a digest published while checkout was not subscribed').toBe(0);
    expect((await buy(lost!.ticket)).status).toBe(202);
    // Subscribed again: junk is refused at the door, a fresh ticket buys.
    const before = await doorRefusals('TICKET_SIGNATURE');
    expect((await buy(await unissued('junk-after', evt))).status).toBe(401);
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(before + 1);
    expect((await buy(await sale.ticket(undefined, { evt }))).status).toBe(202);
    // The other shards' events were read again too and still work.
    for (const other of ids.slice(1)) {
      await synced(other);
      expect((await buy(await unissued('junk-other', other))).status).toBe(401);
    }
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(before + 1 + ids.length - 1);
  });

  // ioredis 5.9.2 emptied its sharded subscribers on a whole reconnect and never created them
  // again (shared/src/redis.ts, rebuildShardedAfterReconnect): the door stayed off for good.
  it('works again after its subscriber Cluster reconnects whole', async () => {
    const ready = new Promise((r) => sub().once('ready', r));
    sub().disconnect(true);
    await ready;
    const before = await doorRefusals('TICKET_SIGNATURE');
    for (const evt of ids) {
      await synced(evt);
      expect((await buy(await unissued('junk-reconnect', evt))).status).toBe(401);
      expect((await buy(await sale.ticket(undefined, { evt }))).status).toBe(202);
    }
    expect(await doorRefusals('TICKET_SIGNATURE')).toBe(before + ids.length);
  }, 60_000);
});
