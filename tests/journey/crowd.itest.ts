// `npm run crowd` against the stack `npm start` runs (spawned, own Redis prefix and PostgreSQL
// schema): a small crowd joins the demo sale from many loopback addresses, buys when admitted,
// and its printed summary agrees with what Redis and PostgreSQL hold afterwards. Meanwhile the
// ops console's live stream (what its charts draw) shows checkout latency: `npm start` wires the
// dashboard to checkout's /metrics.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventKeys } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrowdSummary } from '../../loadtest/src/crowd/summary.ts';
import { type Launched, launchStack } from './launch.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const T = 300_000;
const SKU = 'SNEAKER-1';
const STOCK = 30;
let stack: Launched;

beforeAll(async () => {
  stack = await launchStack({ DEMO_OPENS_IN_S: '5' });
}, T);
afterAll(async () => {
  if (stack) expect(await stack.stop()).toBe(0);
}, T);

/** Read the console's live stream until `stop`; returns the most checkout requests one sample saw. */
async function watchLatency(stop: Promise<unknown>): Promise<number> {
  const ctl = new AbortController();
  let most = 0;
  const res = await fetch(`${stack.dashboardUrl}/v1/events/demo/live`, {
    headers: { authorization: `Bearer ${stack.adminToken}`, accept: 'text/event-stream' },
    signal: ctl.signal,
  });
  expect(res.status).toBe(200);
  const reading = (async () => {
    let buf = '';
    const dec = new TextDecoder();
    for await (const chunk of res.body!) {
      buf += dec.decode(chunk as Uint8Array, { stream: true });
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('data: ')) {
          const sample = JSON.parse(line.slice(6)) as { latency: { count: number } | null };
          most = Math.max(most, sample.latency?.count ?? 0);
        }
        nl = buf.indexOf('\n');
      }
    }
  })().catch(() => {
    // Aborted below once the crowd is done: the end of the stream is expected.
  });
  await stop;
  // Give the dashboard's once-a-second scrape time to see the last purchases.
  await new Promise((r) => setTimeout(r, 3000));
  ctl.abort();
  await reading;
  return most;
}

function crowd(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'loadtest/src/crowd/cli.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run crowd', () => {
  it('joins, buys until sold out, and reports what Redis and PostgreSQL hold', async () => {
    // Ops cut the demo stock to 30 units (admin API), so 50 shoppers sell it out.
    const k = eventKeys(stack.prefix, 'demo');
    const left = Number(await stack.redis.hget(k.stock, SKU));
    const adj = await fetch(`${stack.dashboardUrl}/v1/events/demo/stock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sku: SKU, delta: STOCK - left }),
    });
    expect(adj.status).toBe(200);

    const run = crowd([
      '--gate', `http://127.0.0.1:${stack.ports.gate}`,
      '--checkout', `http://127.0.0.1:${stack.ports.checkout}`,
      '--event', 'demo',
      '--shoppers', '50',
      '--rate', '25',
      '--leave-share', '0',
      '--max-seconds', '150',
      '--json',
    ]);
    const latencyCount = await watchLatency(run);
    const { code, out } = await run;
    expect(code, out).toBe(0);
    const s = JSON.parse(out.trim().split('\n').at(-1)!) as CrowdSummary;

    // Who arrived after the last unit was sold is turned away at the door (close code SOLD_OUT).
    expect(s.stoppedBy, out).toBe('sold out');
    expect(s.joined + s.turnedAway, out).toBe(50);
    expect(s.joined).toBeGreaterThanOrEqual(15);
    expect(s.joinFailed).toEqual({});
    expect(s.addresses).toBeGreaterThan(10);
    expect(s.stoppedBy).toBe('sold out');
    expect(s.soldOutAtS).not.toBeNull();
    expect(s.unitsBought).toBe(STOCK);
    // Everyone admitted tried to buy; those who came too late met SOLD_OUT.
    expect(s.ordersAccepted + (s.refused.SOLD_OUT ?? 0)).toBe(s.buyers);
    expect(s.buyers).toBe(s.admitted);
    expect(s.admitted + s.notAdmitted).toBe(s.joined);

    // Redis: the gate admitted exactly those shoppers, and no unit is left.
    expect(Number(await stack.redis.hget(k.stats, 'admittedTotal'))).toBe(s.admitted);
    expect(Number(await stack.redis.hget(k.stock, SKU))).toBe(0);
    expect(await stack.redis.hget(k.event, 'state')).toBe('soldout');
    // PostgreSQL: the orders it reported, confirmed, with the units it reported.
    const { rows } = await stack.pool.query<{ order_id: string; status: string; qty: number }>(
      'SELECT order_id, status, qty FROM orders WHERE event_id = $1',
      ['demo'],
    );
    expect(rows.map((r) => r.order_id).sort()).toEqual([...s.orderIds].sort());
    expect(rows.filter((r) => r.status === 'confirmed').length).toBe(s.orders.confirmed);
    expect(s.orders).toEqual({ confirmed: s.ordersAccepted, failed: 0, pending: 0 });
    expect(rows.reduce((n, r) => n + r.qty, 0)).toBe(s.unitsBought);

    // The console's latency chart had data: checkout requests counted from its /metrics.
    expect(latencyCount).toBeGreaterThan(0);
  }, T);
});
