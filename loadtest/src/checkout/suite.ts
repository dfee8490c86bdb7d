// The checkout runs, against Sluice's checkout API and against the Express baseline, on the same
// event, the same purchase script and the same load generator:
//   first use  — a distinct, never-seen ticket per request, closed loop at saturation (headline)
//   fixed rate — half the headline rate, open loop, latency corrected for coordinated omission
//   repeat     — the same tickets again: verified-ticket cache hit, then TICKET_USED from Redis
//   junk       — well-formed tickets with the right kid and a wrong signature: the rejection path
// then the order worker drains the accepted orders into PostgreSQL (orders persisted per second).
import type { JsonWebKey } from 'node:crypto';
import { createEvent, eventKeys, persistEvent } from '@sluice/shared';
import { measureVerifyCeiling, type VerifyCeiling } from '../baseline/verify-ceiling.ts';
import { type CannonResult, runCannon } from '../lib/cannon.ts';
import { type OpenLoopResult, runOpenLoop } from '../lib/open-loop.ts';
import { runWrk, type WrkResult, wrkAvailable } from '../lib/wrk.ts';
import { availableParallelism } from 'node:os';
import { sleep, spawnTs, treeCpuSeconds } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import { startCheckoutCluster } from './launch.ts';
import { type DrainResult, measureDrain } from './measure-drain.ts';
import { type MintedSet, mintTickets, newKeyPair, removeMinted } from './mint.ts';

export interface CheckoutSuiteOptions {
  /** Distinct tickets for the first-use run (it ends when they are used, or at maxSeconds). */
  firstUseTickets: number;
  maxSeconds: number;
  fixedRateSeconds: number;
  /** Fixed rate; default half of the measured first-use rate. */
  fixedRate?: number;
  junkSeconds: number;
  repeatSeconds: number;
  /** Seconds the order worker may take to drain accepted orders. */
  drainSeconds: number;
  loadProcesses: number;
  connections: number;
  verifySeconds: number;
  baseline: boolean;
  /** CHECKOUT_WORKERS for the checkout API, and processes of the baseline and verify ceiling (0 = one per core). */
  workers: number;
}

export interface CheckoutSuiteResult {
  processes: number;
  ticketsMintedPerSecond: number;
  firstUse: CannonResult & { serverCpuCores: number };
  fixedRate: OpenLoopResult | null;
  repeat: CannonResult;
  junk: CannonResult & { serverCpuCores: number };
  /** Well-formed tickets whose kid is in no keyring: refused by the cheap checks, before any crypto. */
  junkUnknownKey: CannonResult & { serverCpuCores: number };
  /** The same junk runs driven by wrk (C), which costs the shared cores far less than autocannon; null without wrk. */
  wrk: { junk: WrkResult & { serverCpuCores: number }; junkUnknownKey: WrkResult & { serverCpuCores: number } } | null;
  verifyCeiling: VerifyCeiling;
  baseline: { alg: 'ES256'; processes: number; firstUse: CannonResult & { serverCpuCores: number }; junk: CannonResult; wrkJunk: WrkResult | null } | null;
  orders: DrainResult | null;
  /** CPU per operation (µs) of each phase: server processes from /proc, Redis from INFO cpu. */
  cpu: CpuPerOp;
}

export interface CpuPerOp {
  /** Checkout processes per first-use checkout (202). */
  checkoutUs: number | null;
  /** Redis per first-use checkout (purchase script and the order job's share of addBulk). */
  checkoutRedisUs: number | null;
  /** Checkout processes per junk rejection (known kid, wrong signature; wrk when installed). */
  rejectUs: number | null;
  rejectRedisUs: number | null;
  /** Checkout processes per junk rejection with a kid in no keyring. */
  rejectUnknownKeyUs: number | null;
  /** Baseline processes per first-use checkout and per junk rejection. */
  baselineCheckoutUs: number | null;
  baselineRejectUs: number | null;
  /** CPU of the idle checkout processes and of Redis over IDLE_S before the first-use run, in cores: what every per-operation figure carries as background. */
  checkoutIdleCores: number | null;
  redisIdleCores: number | null;
}

const IDLE_S = 2;

const ISS = 'sluice-gate';
const AUD = 'sluice-checkout';
const BODY = JSON.stringify({ sku: 'SKU-1', qty: 1 });

/** An open event with one product of ample stock, in Redis and PostgreSQL (the checkout benches). */
export async function setupEvent(s: Stores, evt: string, name = 'checkout bench'): Promise<void> {
  const now = Date.now();
  const rec = await createEvent(s.redis, s.prefix, {
    id: evt,
    name,
    prequeueAt: now - 1000,
    startAt: now - 1000,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: 100_000_000, limitPerShopper: 1 }],
  });
  await s.redis.hset(eventKeys(s.prefix, evt).event, 'state', 'open');
  await persistEvent(s.pool, rec.config);
}

export async function runCheckoutSuite(s: Stores, o: CheckoutSuiteOptions, log: (m: string) => void): Promise<CheckoutSuiteResult> {
  const evt = 'ckbench';
  const hasWrk = wrkAvailable();
  await setupEvent(s, evt);
  const ed = newKeyPair('EdDSA', 'bench-ed');
  const edJunk = newKeyPair('EdDSA', 'bench-ed'); // same kid, other key: signature fails
  const mintCommon = { evt, iss: ISS, aud: AUD, ttlS: 3600, processes: o.loadProcesses };
  const sets: MintedSet[] = [];
  // Tickets the gate would have issued are recorded (their digests); junk never is.
  const issued = { redisUrl: s.env.REDIS_URL!, prefix: s.prefix };
  const mint = async (alg: 'EdDSA' | 'ES256', jwk: JsonWebKey, kid: string, prefix: string, count: number, ev = evt, record = true) => {
    const m = await mintTickets({ ...mintCommon, evt: ev, alg, privateJwk: jwk, kid, placePrefix: prefix, count, ...(record ? { record: issued } : {}) });
    sets.push(m);
    return m;
  };
  try {
    log(`minting ${o.firstUseTickets} first-use tickets`);
    // The sets are minted at once: start-up of the mint processes, not signing, dominates the
    // small sets. (Each set has one file per load process: the runs use one autocannon each.)
    const [first, junk, repeat, unknownKey] = await Promise.all([
      mint('EdDSA', ed.privateJwk, 'bench-ed', 'f', o.firstUseTickets),
      mint('EdDSA', edJunk.privateJwk, 'bench-ed', 'j', 2000, evt, false),
      mint('EdDSA', ed.privateJwk, 'bench-ed', 'r', 2000),
      mint('EdDSA', edJunk.privateJwk, 'bench-unknown', 'u', 2000, evt, false),
    ]);

    const processes = o.workers === 0 ? availableParallelism() : o.workers;
    const server = await startCheckoutCluster(s, {
      workers: processes,
      jwks: { keys: [ed.publicJwk] },
      env: { RESERVATION_TTL_S: '3600', CHECKOUT_MAX_INFLIGHT: '100000', CHECKOUT_REDIS_TIMEOUT_MS: '5000' },
    });
    let result: Omit<CheckoutSuiteResult, 'verifyCeiling' | 'baseline' | 'orders' | 'cpu'>;
    const cpu: CpuPerOp = {
      checkoutUs: null, checkoutRedisUs: null, rejectUs: null, rejectRedisUs: null, rejectUnknownKeyUs: null,
      baselineCheckoutUs: null, baselineRejectUs: null, checkoutIdleCores: null, redisIdleCores: null,
    };
    try {
      const port = server.port;
      const url = `http://127.0.0.1:${port}`;
      const common = { url, method: 'POST' as const, path: '/v1/checkout', body: BODY, processes: o.loadProcesses, connections: o.connections };
      // Warm-up (JIT, connections, script cache) with the repeat set: their first use.
      await runCannon({ ...common, ticketsFiles: repeat.files, seconds: 0, maxSeconds: 30 });
      const idle0 = server.cpuSeconds();
      const idleRedis0 = await redisCpuSeconds(s.redis);
      await sleep(IDLE_S * 1000);
      cpu.checkoutIdleCores = round2((server.cpuSeconds() - idle0) / IDLE_S);
      cpu.redisIdleCores = round2(((await redisCpuSeconds(s.redis)) - idleRedis0) / IDLE_S);
      log('first-use run');
      const cpu0 = server.cpuSeconds();
      const redis0 = await redisCpuSeconds(s.redis);
      const firstUse = await runCannon({ ...common, ticketsFiles: first.files, seconds: 0, maxSeconds: o.maxSeconds });
      const firstCpuS = server.cpuSeconds() - cpu0;
      const firstCpu = firstCpuS / firstUse.seconds;
      const accepted = firstUse.statusCodes['202'] ?? 0;
      cpu.checkoutUs = usPerOp(firstCpuS, accepted);
      cpu.checkoutRedisUs = usPerOp((await redisCpuSeconds(s.redis)) - redis0, accepted);
      const rate = o.fixedRate ?? Math.max(100, Math.floor(firstUse.perSecond / 2));
      let fixedRate: OpenLoopResult | null = null;
      if (o.fixedRateSeconds > 0) {
        log(`fixed-rate run at ${rate}/s`);
        const fr = await mint('EdDSA', ed.privateJwk, 'bench-ed', 'x', Math.ceil(rate * o.fixedRateSeconds));
        fixedRate = await runOpenLoop({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/checkout',
          body: BODY,
          ratePerS: rate,
          seconds: o.fixedRateSeconds,
          connections: Math.max(50, o.connections),
          processes: o.loadProcesses,
          ticketsFiles: fr.files,
        });
      }
      log('repeat run');
      const rep = await runCannon({ ...common, ticketsFiles: repeat.files, cycle: true, seconds: o.repeatSeconds, maxSeconds: o.repeatSeconds + 5 });
      log('junk run');
      const cpu1 = server.cpuSeconds();
      const redis1 = await redisCpuSeconds(s.redis);
      const j = await runCannon({ ...common, ticketsFiles: junk.files, cycle: true, seconds: o.junkSeconds, maxSeconds: o.junkSeconds + 5 });
      const junkCpuS = server.cpuSeconds() - cpu1;
      const junkCpu = junkCpuS / j.seconds;
      cpu.rejectUs = usPerOp(junkCpuS, j.requests);
      cpu.rejectRedisUs = usPerOp((await redisCpuSeconds(s.redis)) - redis1, j.requests);
      log('junk run, unknown key');
      const cpu2 = server.cpuSeconds();
      const u = await runCannon({ ...common, ticketsFiles: unknownKey.files, cycle: true, seconds: o.junkSeconds, maxSeconds: o.junkSeconds + 5 });
      const unknownCpu = (server.cpuSeconds() - cpu2) / u.seconds;
      cpu.rejectUnknownKeyUs = usPerOp(server.cpuSeconds() - cpu2, u.requests);
      let wrk: CheckoutSuiteResult['wrk'] = null;
      if (hasWrk) {
        log('junk runs with wrk');
        const w = { url, method: 'POST' as const, path: '/v1/checkout', body: BODY, seconds: o.junkSeconds, connections: o.connections, threads: 2 };
        const c3 = server.cpuSeconds();
        const r3 = await redisCpuSeconds(s.redis);
        const wj = await runWrk({ ...w, ticketsFile: junk.files[0] });
        const c4 = server.cpuSeconds();
        const r4 = await redisCpuSeconds(s.redis);
        const wu = await runWrk({ ...w, ticketsFile: unknownKey.files[0] });
        const c5 = server.cpuSeconds();
        // wrk costs the shared cores less than autocannon: its per-rejection CPU is the headline.
        cpu.rejectUs = usPerOp(c4 - c3, wj.requests);
        cpu.rejectRedisUs = usPerOp(r4 - r3, wj.requests);
        cpu.rejectUnknownKeyUs = usPerOp(c5 - c4, wu.requests);
        wrk = { junk: { ...wj, serverCpuCores: round2((c4 - c3) / wj.seconds) }, junkUnknownKey: { ...wu, serverCpuCores: round2((c5 - c4) / wu.seconds) } };
      }
      result = {
        processes,
        ticketsMintedPerSecond: Math.round(first.count / first.seconds),
        firstUse: { ...firstUse, serverCpuCores: round2(firstCpu) },
        fixedRate,
        repeat: rep,
        junk: { ...j, serverCpuCores: round2(junkCpu) },
        junkUnknownKey: { ...u, serverCpuCores: round2(unknownCpu) },
        wrk,
      };
    } finally {
      await server.stop();
    }

    let baseline: CheckoutSuiteResult['baseline'] = null;
    if (o.baseline) {
      log('baseline (Express + jsonwebtoken + ioredis + BullMQ)');
      const es = newKeyPair('ES256', 'bench-es');
      const esJunk = newKeyPair('ES256', 'bench-es');
      // Its own event, so its reservations do not count in the Sluice worker's drain.
      const bEvt = 'ckbase';
      await setupEvent(s, bEvt);
      const [bFirst, bJunk, bWarm] = await Promise.all([
        mint('ES256', es.privateJwk, 'bench-es', 'b', Math.min(o.firstUseTickets, 400_000), bEvt),
        mint('ES256', esJunk.privateJwk, 'bench-es', 'bj', 2000, bEvt, false),
        mint('ES256', es.privateJwk, 'bench-es', 'bw', 2000, bEvt),
      ]);
      const b = spawnTs('baseline/express-checkout.ts', [], {
        env: { ...s.env, BASELINE_PUBLIC_JWK: JSON.stringify(es.publicJwk), BASELINE_PROCESSES: String(processes) },
      });
      try {
        const { port } = await b.next<{ port: number }>((m) => m.t === 'ready', 60_000);
        const common = { url: `http://127.0.0.1:${port}`, method: 'POST' as const, path: '/v1/checkout', body: BODY, processes: o.loadProcesses, connections: o.connections };
        await runCannon({ ...common, ticketsFiles: bWarm.files, seconds: 0, maxSeconds: 30 });
        const c0 = treeCpuSeconds(b.pid);
        const bf = await runCannon({ ...common, ticketsFiles: bFirst.files, seconds: 0, maxSeconds: o.maxSeconds });
        const bCpuS = treeCpuSeconds(b.pid) - c0;
        const bCpu = bCpuS / bf.seconds;
        cpu.baselineCheckoutUs = usPerOp(bCpuS, bf.statusCodes['202'] ?? 0);
        const c1 = treeCpuSeconds(b.pid);
        const bj = await runCannon({ ...common, ticketsFiles: bJunk.files, cycle: true, seconds: o.junkSeconds, maxSeconds: o.junkSeconds + 5 });
        cpu.baselineRejectUs = usPerOp(treeCpuSeconds(b.pid) - c1, bj.requests);
        const c2 = treeCpuSeconds(b.pid);
        const wrkJunk = hasWrk
          ? await runWrk({ url: common.url, method: 'POST', path: '/v1/checkout', body: BODY, seconds: o.junkSeconds, connections: o.connections, threads: 2, ticketsFile: bJunk.files[0] })
          : null;
        if (wrkJunk) cpu.baselineRejectUs = usPerOp(treeCpuSeconds(b.pid) - c2, wrkJunk.requests);
        baseline = { alg: 'ES256', processes, firstUse: { ...bf, serverCpuCores: round2(bCpu) }, junk: bj, wrkJunk };
      } finally {
        await b.stop();
      }
    }

    log('verification ceiling');
    const verifyCeiling = await measureVerifyCeiling(result.processes, o.verifySeconds);

    let orders: CheckoutSuiteResult['orders'] = null;
    if (o.drainSeconds > 0) {
      log('order worker drain');
      orders = await measureDrain(s, evt, o.drainSeconds);
    }
    return { ...result, verifyCeiling, baseline, orders, cpu };
  } finally {
    for (const m of sets) removeMinted(m);
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;
