// Losing Redis mid-sale without overselling or losing an accepted order.
// Case 1: a Redis Cluster of the test's own (3 masters + 3 replicas, scripts/redis-cluster.sh on
// ports 7111-7116): three events on the three shards sell at once through a checkout process and
// an order worker process on Cluster clients, while shoppers wait at a two-process gate in the
// line of a fourth event on the first shard; the master of that shard is killed with -9;
// its replica takes over; that event's sale continues after the worker's guard has checked its
// stock against PostgreSQL (purchases answer 503 until then); every event sells out exactly; the
// line then opens and every waiting shopper's ticket reaches its socket through the new master.
// Case 2: a single Redis (AOF everysec, the deployment's setting) killed with -9 and started again
// from its AOF: the same guarantees.
// Both: PostgreSQL never holds more confirmed units than stock, every 202 becomes an order, the
// books reconcile, and the event hash says what the guard did.
import { buildClaims, createEvent, eventKeys, persistEvent, readNode, type Redis, signTicket, updateEvent } from '@sluice/shared';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Attempt, startBuyers } from '../support/buyers.ts';
import { idsOverShards, masterOf, privateCluster } from '../support/cluster.ts';
import { uniqueId } from '@sluice/shared/testing/index.ts';
import { expectReconciled } from '../support/reconcile.ts';
import { buy, type OpenSale, openSale, serveJwks } from '../support/sale.ts';
import { type Client, connect } from '../../gate/test/client.ts';
import { type Service, spawnCheckout, spawnGateCluster, spawnWorker } from '../support/services.ts';
import { openStores, type PrivateRedis, privateRedis, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

const STOCK = 120;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
// After each case: the cluster case's processes, cluster and buyers must not load the machine
// (or hold ports) while the AOF case runs.
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch((err) => console.warn('cleanup failed', err));
});

interface Stack {
  s: Stores;
  sales: OpenSale[];
  checkout: Service;
  worker: Service;
}

async function stack(s: Stores, ids: string[]): Promise<Stack> {
  const sales: OpenSale[] = [];
  for (const id of ids) sales.push(await openSale(s, [{ sku: 'SKU-1', stock: STOCK }], { id }));
  const jwks = await serveJwks(sales[0]!.keyring.jwks);
  cleanups.push(() => jwks.close());
  // A reservation whose order is not written in time is swept after 5 s, not 2 minutes.
  const checkout = await spawnCheckout(s, { JWKS_URL: jwks.url, RESERVATION_TTL_S: '5' });
  cleanups.push(() => checkout.kill());
  const worker = await spawnWorker(s, { GUARD_INTERVAL_MS: '200', PAYMENT_LATENCY_MS: '5' });
  cleanups.push(() => worker.kill());
  return { s, sales, checkout, worker };
}

function buyersFor(st: Stack) {
  return st.sales.map((sale, i) =>
    startBuyers(() => st.checkout.base, sale, { concurrency: 3, max: 100_000, pauseMs: 20, stopOnCode: 'SOLD_OUT', tag: `b${i}` }),
  );
}

/**
 * PostgreSQL's confirmed units per event, sampled every 100 ms while the sale runs: "never more
 * than stock" must hold at every moment, not only at the end (an order written confirmed whose
 * units the sweeper had already returned is turned to failed afterwards: in between it counts).
 */
function watchConfirmed(st: Stack): { max: Map<string, number>; stop(): Promise<void> } {
  const max = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await st.s.pool.query<{ event_id: string; units: number }>(
        "SELECT event_id, sum(qty)::int AS units FROM orders WHERE status = 'confirmed' GROUP BY event_id",
      );
      for (const r of rows) max.set(r.event_id, Math.max(max.get(r.event_id) ?? 0, r.units));
      await sleep(100);
    }
  })();
  return {
    max,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Units that came back after the buyers stopped at SOLD_OUT (a reservation swept because its job
 * add failed while the shard was failing over, an order that failed) are sold too, so "sold out
 * exactly" does not depend on when a sweep ran. Returns the 202s of these late rounds.
 */
async function sellReturned(st: Stack, i: number): Promise<Attempt[]> {
  const sale = st.sales[i]!;
  const late: Attempt[] = [];
  for (let round = 0; round < 10; round++) {
    await until(async () => (await st.s.redis.hlen(sale.k.reservation)) === 0, 60_000, `${sale.evt} reservations closed`);
    if (Number((await st.s.redis.hget(sale.k.stock, 'SKU-1')) ?? 0) === 0) break;
    const b = startBuyers(() => st.checkout.base, sale, { concurrency: 2, max: STOCK, stopOnCode: 'SOLD_OUT', tag: `late${round}-b${i}` });
    await b.done;
    late.push(...b.accepted());
  }
  return late;
}

/** Everything the issue asks of a sale that lived through a Redis loss. */
async function expectWhole(st: Stack, accepted: Attempt[][], confirmed: Map<string, number>): Promise<void> {
  for (const [i, sale] of st.sales.entries()) {
    const late = await sellReturned(st, i);
    if (late.length) console.log(`[failover] ${sale.evt}: ${late.length} units that came back after SOLD_OUT sold again`);
    // The worker has written every order and closed every reservation.
    await until(async () => (await st.s.redis.hlen(sale.k.reservation)) === 0, 60_000, `${sale.evt} reservations closed`);
    const { confirmedUnits, orders } = await expectReconciled(st.s.redis, st.s.pool, st.s.prefix, sale.evt);
    expect(confirmedUnits, `${sale.evt}: confirmed units never above stock`).toBeLessThanOrEqual(STOCK);
    expect(confirmed.get(sale.evt) ?? 0, `${sale.evt}: confirmed units above stock at some moment`).toBeLessThanOrEqual(STOCK);
    expect(confirmedUnits, `${sale.evt}: sold out`).toBe(STOCK);
    const written = new Set(orders.map((o) => o.order_id));
    const lost = [...accepted[i]!, ...late].filter((a) => !written.has(a.orderId!));
    expect(lost, `${sale.evt}: accepted (202) purchases without an order`).toEqual([]);
  }
}

/** Junk refused by checkout's door (its counter: the full path answers junk with the same 401). */
async function doorRefusals(st: Stack): Promise<number> {
  const text = await (await fetch(`${st.checkout.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('sluice_checkout_door_refusals_total{') && l.includes('TICKET_SIGNATURE'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** A ticket signed with the sale's key that no gate issued, sent once: refused at the door? */
async function junkRefusedAtDoor(st: Stack, sale: OpenSale, tag: string): Promise<boolean> {
  const now = Date.now();
  const claims = buildClaims({
    placeId: `junk-${tag}`,
    evt: sale.evt,
    admittedAtMs: now,
    ttlS: 600,
    nowMs: now,
    iss: 'sluice-gate',
    aud: 'sluice-checkout',
  });
  const before = await doorRefusals(st);
  const r = await buy(st.checkout.base, await signTicket(sale.keyring.current, claims), '{"sku":"SKU-1","qty":1}', 5000);
  const after = await doorRefusals(st);
  const atDoor = r.status === 401 && after === before + 1;
  if (atDoor) junkAtDoor++;
  lastJunk = `${r.status} ${r.code ?? ''}, door refusals ${before} → ${after}`;
  return atDoor;
}
let junkAtDoor = 0;
let lastJunk = '';

interface GuardRecord {
  at: number;
  action: string;
  node: string;
  was: string;
}

async function guardRecord(redis: Redis, prefix: string, evt: string): Promise<GuardRecord | null> {
  const raw = await redis.hget(eventKeys(prefix, evt).event, 'guard');
  return raw ? (JSON.parse(raw) as GuardRecord) : null;
}

describe('Redis Cluster: a master killed with -9 mid-sale', () => {
  it('fails over to its replica; the sale goes on after the stock check; nothing oversold, nothing accepted lost', async () => {
    const cluster = privateCluster(7111);
    cleanups.push(() => cluster.stop());
    const s = await openStores(TEST_REDIS_URL, TEST_DATABASE_URL, cluster.nodes);
    cleanups.push(() => s.cleanup());
    const ids = await idsOverShards(s.redis, s.prefix, 3, 'fo');
    const masters = await Promise.all(ids.map((id) => masterOf(s.redis, s.prefix, id)));
    expect(new Set(masters).size).toBe(3);
    const st = await stack(s, ids);
    const victim = masters[0]!;
    // Shoppers waiting at a real gate (two processes, Cluster clients, sharded subscriptions) in
    // the line of another event on the same shard: their tickets must still reach their sockets
    // once that shard has failed over (the gate's SSUBSCRIBE moves to the promoted replica).
    let line = '';
    for (let i = 0; i < 500 && !line; i++) {
      const id = uniqueId('line');
      if ((await masterOf(s.redis, s.prefix, id)) === victim) line = id;
    }
    const lineRec = await createEvent(s.redis, s.prefix, {
      id: line,
      name: 'Line on the failing shard',
      startAt: Date.now() - 1000,
      queueAll: true,
      rate: 50,
      allowedOrigins: ['https://shop.example'],
      powDifficulty: 0,
      powSurgeDifficulty: 0,
      products: [{ sku: 'SKU-1', name: 'Thing', priceCents: 100, stock: 1000, limitPerShopper: 1 }],
    });
    await persistEvent(s.pool, lineRec.config); // as the dashboard does: the guard checks against it
    const gate = await spawnGateCluster(s, 2);
    cleanups.push(() => gate.stop());
    await until(async () => (await s.redis.hget(eventKeys(s.prefix, line).event, 'state')) === 'open', 30_000, 'line open');
    const waiting: Client[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await connect(`ws://127.0.0.1:${gate.port}/v1/events/${line}/ws`);
      c.send({ t: 'join' });
      await c.next('welcome');
      waiting.push(c);
    }
    cleanups.push(() => {
      for (const c of waiting) c.close();
    });
    const confirmed = watchConfirmed(st);
    cleanups.push(() => confirmed.stop());
    const buyers = buyersFor(st);
    await until(() => buyers.every((b) => b.accepted().length >= 20), 60_000, 'first purchases on every shard');

    // Checkout's door works on every shard before the kill (its barrier: an echo on the event's channel).
    for (const [i, sale] of st.sales.entries()) {
      await until(() => junkRefusedAtDoor(st, sale, `pre${i}`), 30_000, `${sale.evt}: junk refused at the door`).catch(
        (err: Error) => {
          throw new Error(`${err.message}; last junk: ${lastJunk}; checkout: ${st.checkout.output().slice(-8000)}`);
        },
      );
    }
    const before = await readNode(s.redis, s.prefix, ids[0]!);
    cluster.kill9(Number(victim.split(':')[1]));
    const killedAt = Date.now();
    // When the replica is promoted (seen by the test's own client, which follows the slot map).
    const promoted = until(
      async () => (await masterOf(s.redis, s.prefix, ids[0]!).catch(() => victim)) !== victim,
      60_000,
      'replica promoted',
      100,
    ).then(
      () => Date.now(),
      () => Number.NaN,
    );
    // The replica takes over and the victim's event sells again (after the guard's check).
    await until(
      () => buyers[0]!.attempts.find((a) => a.at > killedAt && a.status === 202),
      60_000,
      'a purchase on the failed-over shard',
    ).catch(async (err: Error) => {
      const seen = buyers[0]!.attempts.filter((a) => a.at > killedAt).map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`);
      const counts = [...new Set(seen)].map((x) => `${x} ×${seen.filter((y) => y === x).length}`);
      const node = await readNode(s.redis, s.prefix, ids[0]!).catch((e: Error) => e.message);
      throw new Error(`${err.message}; answers since the kill: ${counts.join(', ')}; node: ${JSON.stringify(node)}; worker: ${st.worker.output().slice(-1500)}`);
    });
    await Promise.all(buyers.map((b) => b.done));
    // Requests sent after the kill (one in flight at the kill may still be answered 202: its
    // writes and WAIT completed before the master died).
    const after0 = buyers[0]!.attempts.filter((a) => a.at > killedAt);
    const firstOk = Math.min(...after0.filter((a) => a.status === 202).map((a) => a.answeredAt));
    const during = after0.filter((a) => a.answeredAt < firstOk);
    console.log(
      `[failover] master ${victim} killed; replica promoted (seen by a client) ${(await promoted) - killedAt} ms after the kill; ` +
        `first 202 on its shard answered ${firstOk - killedAt} ms after the kill ` +
        `(${during.length} answers in between: ${[...new Set(during.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`))].join(', ')})`,
    );

    // The line opens after the failover: every waiting shopper gets a ticket over its socket.
    await updateEvent(s.redis, s.prefix, line, { queueAll: false });
    const tickets = await Promise.all(waiting.map((c) => c.next('admitted', 60_000)));
    expect(tickets.every((t) => t.ticket.split('.').length === 3)).toBe(true);
    expect(await s.redis.zcard(eventKeys(s.prefix, line).admitted)).toBe(waiting.length);

    const after = await readNode(s.redis, s.prefix, ids[0]!);
    expect(after.current).not.toBe(before.current);
    expect(await masterOf(s.redis, s.prefix, ids[0]!)).not.toBe(victim);
    const g = await guardRecord(s.redis, s.prefix, ids[0]!);
    expect(g?.was).toBe(before.current);
    expect(['verified', 'repaired']).toContain(g?.action);
    // Nothing was sold on the new master before the guard had checked the stock: every 202 to a
    // request sent after the kill was answered after the check.
    const early = after0.filter((a) => a.status === 202 && a.answeredAt < g!.at);
    expect(early, 'purchases answered 202 before the stock check').toEqual([]);
    // Nor admitted: the line's event (same shard) was checked too, before its first admission.
    const lg = await guardRecord(s.redis, s.prefix, line);
    expect(lg?.was).toBe(before.current);
    expect(['verified', 'repaired']).toContain(lg?.action);
    const admittedAt = Object.values(await s.redis.hgetall(eventKeys(s.prefix, line).admittedAt)).map(Number);
    expect(admittedAt.filter((t) => t < lg!.at), 'admissions before the stock check').toEqual([]);
    console.log(
      `[failover] guard on ${ids[0]}: ${g?.action} ${g!.at - killedAt} ms after the kill; on the line's event: ${lg?.action} ` +
        `${lg!.at - killedAt} ms after the kill`,
    );
    await confirmed.stop();
    await expectWhole(
      st,
      buyers.map((b) => b.accepted()),
      confirmed.max,
    );
    // The door refuses junk on the failed-over shard again (resubscribed, read whole), and it never
    // refused a genuine ticket, not even one issued and presented while the shard failed over:
    // its counter holds our junk only.
    let n = 0;
    const t0 = Date.now();
    await until(() => junkRefusedAtDoor(st, st.sales[0]!, `post${n++}`), 30_000, 'junk refused at the door after the failover');
    console.log(`[failover] door: junk refused at the door again ${Date.now() - t0} ms after the buyers stopped (${n} tries)`);
    expect(await doorRefusals(st), 'door refusals beyond the junk sent (a genuine ticket refused)').toBe(junkAtDoor);
    const refused = buyers.flatMap((b) => b.attempts).filter((a) => a.status === 401);
    expect(refused, 'genuine tickets answered 401').toEqual([]);
    const metrics = await (await fetch(`${st.checkout.base}/metrics`)).text();
    console.log(`[failover] ${metrics.split('\n').find((l) => l.startsWith('sluice_checkout_unreplicated_total')) ?? 'no unreplicated counter'}`);
  }, 300_000);
});

describe('single Redis: killed with -9 and restarted from its AOF mid-sale', () => {
  it('checks the stock before selling again, then sells out; nothing oversold, nothing accepted lost', async () => {
    const redis: PrivateRedis = await privateRedis();
    cleanups.push(() => redis.destroy());
    const s = await openStores(redis.url);
    cleanups.push(() => s.cleanup());
    const st = await stack(s, ['single-a', 'single-b'].map((t) => `${t}-${Date.now().toString(36)}`));
    const confirmed = watchConfirmed(st);
    cleanups.push(() => confirmed.stop());
    const buyers = buyersFor(st);
    await until(() => buyers.every((b) => b.accepted().length >= 20), 60_000, 'first purchases');
    const before = await readNode(s.redis, s.prefix, st.sales[0]!.evt);
    await redis.crash();
    const killedAt = Date.now();
    await redis.start();
    const resumed = await until(
      () => buyers[0]!.attempts.find((a) => a.at > killedAt && a.status === 202),
      60_000,
      'a purchase after the restart',
    )
      .then((a) => a!)
      .catch(async (err: Error) => {
        const seen = buyers[0]!.attempts.filter((a) => a.at > killedAt).map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`);
        const counts = [...new Set(seen)].map((x) => `${x} ×${seen.filter((y) => y === x).length}`);
        const node = await readNode(s.redis, s.prefix, st.sales[0]!.evt).catch((e: Error) => e.message);
        const out = (svc: Service) => svc.output().slice(-1500);
        throw new Error(
          `${err.message}; answers since the kill: ${counts.join(', ') || 'none'}; node: ${JSON.stringify(node)}; ` +
            `guard: ${JSON.stringify(await guardRecord(s.redis, s.prefix, st.sales[0]!.evt))}; ` +
            `worker: ${out(st.worker)}; checkout: ${out(st.checkout)}`,
        );
      });
    await Promise.all(buyers.map((b) => b.done));
    const firstOk = Math.min(...buyers[0]!.accepted().filter((a) => a.answeredAt > killedAt).map((a) => a.answeredAt));
    console.log(`[aof] redis killed and restarted; first 202 answered ${firstOk - killedAt} ms after the kill (resumed: ${resumed.status})`);
    for (const sale of st.sales) {
      const g = await guardRecord(s.redis, s.prefix, sale.evt);
      expect(g?.was).toBe(before.current);
      expect(['verified', 'repaired']).toContain(g?.action);
      const i = st.sales.indexOf(sale);
      const early = buyers[i]!.attempts.filter((a) => a.at > killedAt && a.status === 202 && a.answeredAt < g!.at);
      expect(early, `${sale.evt}: purchases answered 202 before the stock check`).toEqual([]);
    }
    await confirmed.stop();
    await expectWhole(
      st,
      buyers.map((b) => b.accepted()),
      confirmed.max,
    );
  }, 300_000);
});
