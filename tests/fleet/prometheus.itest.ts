// One view of the fleet: a real Prometheus (Debian's package) scrapes a running stack whose gate
// and checkout each run two worker processes on one port, plus the order worker, and the Grafana
// board's queries (deploy/grafana/dashboards/sluice.json) return the fleet's totals through its
// HTTP API: held sockets = sockets this test opened, tickets, checkouts and orders = what it did.
// Without the supervisor's aggregation (shared/src/cluster/fleet-metrics.ts) each scrape sees
// whichever worker the kernel picked, and the totals never match.
import { existsSync, readFileSync } from 'node:fs';
import { eventKeys, persistEvent } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { httpFrom } from '../support/http.ts';
import {
  localScrapeConfig,
  PROMETHEUS,
  type RunningPrometheus,
  startPrometheus,
} from '../support/prometheus.ts';
import {
  freePort,
  type Service,
  type SpawnedGate,
  spawnCheckout,
  spawnGateCluster,
  spawnWorker,
} from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const SOCKETS = 16;
const BUYS = 6;
const ORIGIN = 'https://shop.example';

let s: Stores;
let gate: SpawnedGate | undefined;
let checkout: Service | undefined;
let worker: Service | undefined;
let prometheus: RunningPrometheus | undefined;
const clients: Client[] = [];

/** Every query of the Grafana board. */
function boardQueries(): string[] {
  const board = JSON.parse(
    readFileSync(new URL('../../deploy/grafana/dashboards/sluice.json', import.meta.url), 'utf8'),
  ) as {
    panels: { targets?: { expr?: string }[]; panels?: unknown[] }[];
  };
  const out: string[] = [];
  const visit = (p: { targets?: { expr?: string }[]; panels?: unknown[] }) => {
    for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
    for (const c of (p.panels ?? []) as (typeof p)[]) visit(c);
  };
  for (const p of board.panels) visit(p);
  return out;
}

/** A board query as totals: `rate(x[1m])` → `x` (the same aggregation over the counters). */
const totals = (expr: string) => expr.replace(/\b(?:rate|increase)\((\w+)\[[^\]]+\]\)/g, '$1');

beforeAll(async () => {
  if (!existsSync(PROMETHEUS))
    throw new Error(`${PROMETHEUS} missing: apt-get install -y prometheus (.ci/run does)`);
  s = await openStores();
  gate = await spawnGateCluster(s, 2);
  checkout = await spawnCheckout(s, {
    CHECKOUT_WORKERS: '2',
    JWKS_URL: `http://127.0.0.1:${gate.port}/.well-known/jwks.json`,
  });
  worker = await spawnWorker(s);
  prometheus = await startPrometheus(
    localScrapeConfig({
      gate: [`127.0.0.1:${gate.port}`],
      checkout: [`127.0.0.1:${checkout.port}`],
      worker: [`127.0.0.1:${worker.port}`],
    }),
    await freePort(),
  );
}, 120_000);

afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  await prometheus?.stop();
  await Promise.all([gate?.stop(), checkout?.kill(), worker?.kill()]);
  await s?.cleanup();
});

describe('Prometheus over a stack with several workers per service', () => {
  it("answers the Grafana board's queries with the fleet's totals", async () => {
    const queries = boardQueries();
    const SOCKETS_Q = 'sum(sluice_gate_sockets)';
    const PER_PROCESS_Q = 'sluice_gate_sockets';
    const TICKETS_Q = 'sum(rate(sluice_gate_tickets_signed_total[1m]))';
    const CHECKOUTS_Q = 'sum by (code) (rate(sluice_checkout_duration_seconds_count[1m]))';
    const ORDERS_Q = 'sum by (status) (rate(sluice_worker_orders_total[1m]))';
    const UP_Q = 'up{job=~"gate|checkout|worker|dashboard"}';
    for (const q of [SOCKETS_Q, PER_PROCESS_Q, TICKETS_Q, CHECKOUTS_Q, ORDERS_Q, UP_Q])
      expect(queries).toContain(q);

    const sum = async (expr: string) => (await prometheus!.query(expr)).reduce((a, r) => a + r.value, 0);
    // Prometheus has seen every target before anything happens (so rates have a baseline).
    await until(async () => (await sum(UP_Q)) === 3, 30_000, 'every target scraped', 250);

    const rec = await makeEvent(s.redis, s.prefix, { rate: 1000, burst: 100, queueAll: false });
    await persistEvent(s.pool, rec.config);
    const evt = rec.config.id;
    await until(
      async () => (await s.redis.hget(eventKeys(s.prefix, evt).event, 'state')) === 'open',
      15_000,
      'open',
    );

    // Each shopper from its own address, on its own connection: the kernel spreads them over
    // both gate workers and both checkout workers.
    const url = `ws://127.0.0.1:${gate!.port}/v1/events/${evt}/ws`;
    const tickets: string[] = [];
    for (let i = 0; i < SOCKETS; i++) {
      const c = await connect(url, ORIGIN, { localAddress: `127.0.1.${10 + i}` });
      clients.push(c);
      c.send({ t: 'join' });
      await c.next('welcome', 15_000);
    }
    for (const c of clients) tickets.push((await c.next('admitted', 15_000)).ticket);
    for (const [i, ticket] of tickets.slice(0, BUYS).entries()) {
      const r = await httpFrom(
        `127.0.1.${100 + i}`,
        'POST',
        `${checkout!.base}/v1/checkout`,
        { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
        '{"sku":"SKU-1","qty":1}',
      );
      expect(r.status, r.text).toBe(202);
    }
    await until(
      async () =>
        (await s.pool.query(`SELECT count(*)::int AS n FROM orders WHERE event_id = $1`, [evt])).rows[0].n ===
        BUYS,
      20_000,
      'orders written',
    );

    const expected = {
      [SOCKETS_Q]: SOCKETS,
      [PER_PROCESS_Q]: SOCKETS,
      [totals(CHECKOUTS_Q)]: BUYS,
      [totals(ORDERS_Q)]: BUYS,
      [UP_Q]: 3,
    };
    const seen: Record<string, number> = {};
    // Polled: the values are right once Prometheus has scraped after the last action.
    await until(
      async () => {
        for (const q of [...Object.keys(expected), totals(TICKETS_Q)]) seen[q] = await sum(q);
        // Every admitted shopper got a signed ticket; a gate may sign one again (a missed
        // admission delivered later), so tickets are at least the sockets, not exactly.
        return (
          Object.keys(expected).every((q) => seen[q] === expected[q]) &&
          (seen[totals(TICKETS_Q)] ?? 0) >= SOCKETS
        );
      },
      30_000,
      `board totals ${JSON.stringify(expected)}, tickets >= ${SOCKETS}`,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${JSON.stringify(seen)}`);
    });

    // The per-process panel shows one series per gate worker, both holding sockets.
    const perProcess = await prometheus!.query(PER_PROCESS_Q);
    expect(perProcess.map((r) => r.labels['worker']).sort()).toEqual(['0', '1']);
    expect(perProcess.every((r) => r.value > 0)).toBe(true);
    expect((await prometheus!.query(totals(CHECKOUTS_Q))).map((r) => r.labels['code'])).toHaveLength(1);
    // The board's own rate query sees the activity too. (Only for a series that existed before
    // the activity: a labelled counter born at its final value has no increase for rate() to see.)
    await until(async () => (await sum(TICKETS_Q)) > 0, 30_000, 'ticket rate above 0', 500);
  });
});
