// `npm run bench [-- --profile quick|full|smoke] [--out DIR]`: every tool in one run on this
// machine, baselines included, with its own stores (unique Redis prefix, fresh PostgreSQL schema)
// and its own services. Writes <timestamp>.json, latest.json, REPORT.md and SVG charts.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureHold, startServers } from './baseline/hold.ts';
import { measureRedisCeiling, redisBenchmarkAvailable } from './baseline/redis-bench.ts';
import { runCheckoutSuite } from './checkout/suite.ts';
import { runFlashSale } from './flash-sale/run.ts';
import { runGateHold } from './gate/hold.ts';
import { runJoinCost } from './gate/join-cost.ts';
import { startGateCluster } from './gate/launch.ts';
import { runPrequeueOpen } from './gate/prequeue-open.ts';
import { runCannon } from './lib/cannon.ts';
import { runWrk, wrkAvailable } from './lib/wrk.ts';
import { cpuSeconds, machineInfo, spawnTs } from './lib/proc.ts';
import { usPerOp } from './lib/redis-cpu.ts';
import { openStores, REDIS_URL } from './lib/stores.ts';
import { markdown, writeCharts } from './report/write.ts';
import type { BenchResult } from './report/types.ts';
import { MAX_SOCKETS_PER_WORKER } from './swarm/run.ts';
import { type Profile, PROFILES, withOverrides } from './profiles.ts';

export { type Profile, PROFILES, withOverrides } from './profiles.ts';

/** With retries inside the phase (`gateMaxAttempts`), an attempt with no welcome after this long is retried. */
const GATE_ATTEMPT_TIMEOUT_MS = 30_000;

/** A state frame of the size the gate sends while a sale waits (the floor publishes this). */
const FLOOR_FRAME = JSON.stringify({
  t: 'state', evt: 'hold', st: 'open', served: 0, tail: 100000, len: 100000, rate: 0, adm: 0, cfg: 0,
  start: 1_800_000_000_000, seedHash: 'f'.repeat(64), seed: null, now: 1_800_000_000_000, tick: 12345,
});


function version(cmd: string, args: string[], re: RegExp): string {
  try {
    return re.exec(execFileSync(cmd, args, { encoding: 'utf8', timeout: 5000 }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function runBench(
  p: Profile,
  log: (m: string) => void = console.log,
  /** Run only the phases whose name contains one of these (all when empty): for development. */
  only: readonly string[] = [],
): Promise<BenchResult> {
  const t0 = Date.now();
  const machine = machineInfo(
    loadavg(),
    version('redis-cli', ['-u', REDIS_URL, 'info', 'server'], /redis_version:(\S+)/),
    version('psql', ['--version'], /(\d+\.\d+)/),
  );
  const r: BenchResult = {
    profile: p.name, startedAt: new Date(t0).toISOString(), durationS: 0, machine, loadAvgAtEnd: [],
    heldConnections: null, gateBytesPerConnection: null, baselineWsBytesPerConnection: null, baselineUwsBytesPerConnection: null,
    joinsPerSecond: null, joinP99Ms: null, broadcastP99Ms: null, checkoutPerSecond: null, checkoutP99Ms: null,
    verifyCeilingPerSecond: null, baselineCheckoutPerSecond: null, rejectsPerSecond: null, rejectsUnknownKeyPerSecond: null, baselineRejectsPerSecond: null,
    repeatPerSecond: null, ordersPerSecond: null, admissionErrorPct: null, tickLateP50Ms: null, fifoInversions: null, oversold: null, etaErrorPct: null,
    timeToSellOutS: null, uwsHelloPerSecond: null, uwsEchoPerSecond: null, wsEchoPerSecond: null, redisPurchasePerSecond: null,
    checkoutCpuUs: null, verifyCpuUs: null, checkoutRedisCpuUs: null, rejectCpuUs: null, rejectRedisCpuUs: null,
    orderRedisCpuUs: null, orderWorkerCpuUs: null, baselineCheckoutCpuUs: null, baselineRejectCpuUs: null, helloCpuUs: null,
    tickLateP99Ms: null, tickLateMaxMs: null, frameworkRefuseCpuUs: null,
    joinGateCpuUs: null, joinRedisCpuUs: null, frameGateCpuUs: null, frameFloorCpuUs: null, listenOverflows: null,
    joinsOfferedPerSecond: null, gateBytesPerConnectionSpread: null, gateMemoryReadingFailed: null, prequeueOpenS: null, prequeueMembers: null,
    tickToSocketP99Ms: null,
    details: {}, errors: {},
  };
  const wanted = only.length > 0 ? only : (p.phases ?? []);
  const phase = async (name: string, f: () => Promise<void>) => {
    if (wanted.length > 0 && !wanted.some((o) => name.includes(o))) return;
    log(`== ${name}`);
    try {
      await f();
    } catch (err) {
      r.errors[name] = err instanceof Error ? err.message : String(err);
      log(`   ${name} failed: ${r.errors[name]}`);
    }
  };
  const stores = await openStores('bench');
  try {
    await phase('baseline uws hold', async () => {
      // The floor of a state frame: the same number of sockets, a frame of the gate's size, the gate's tick.
      const publish = { payload: FLOOR_FRAME, everyMs: p.tickMs, count: 8 };
      const h = await measureHold({ impl: 'uws', total: p.held, ratePerS: p.arrivalRate, echoSockets: p.echoSockets, echoSeconds: p.echoSeconds, settleMaxMs: p.settleMaxMs, maxGcRounds: p.maxGcRounds, publish });
      r.details.uwsHold = h;
      r.frameFloorCpuUs = h.publish?.cpuUsPerFrame ?? null;
      const floor = h.publish?.tickToSocket;
      r.tickToSocketFloorP99Ms =
        floor && floor.deliveries > 0 && Number.isFinite(floor.p99) ? floor.p99 : null;
      r.joinFloorCpuUs = h.joinCpuUs;
      r.baselineUwsBytesPerConnection = h.bytesPerConnection;
      r.baselineMemoryReadingFailed = { ws: r.baselineMemoryReadingFailed?.ws ?? null, uws: h.memory.failed };
      r.uwsEchoPerSecond = h.echo?.msgsPerSecond ?? null;
    });
    await phase('baseline ws hold', async () => {
      const h = await measureHold({ impl: 'ws', total: p.wsHeld ?? p.held, ratePerS: p.arrivalRate, echoSockets: p.echoSockets, echoSeconds: p.echoSeconds, settleMaxMs: p.settleMaxMs, maxGcRounds: p.maxGcRounds });
      r.details.wsHold = h;
      r.baselineWsBytesPerConnection = h.bytesPerConnection;
      r.baselineMemoryReadingFailed = {
        uws: r.baselineMemoryReadingFailed?.uws ?? null,
        ws: h.memory.failed,
      };
      r.wsEchoPerSecond = h.echo?.msgsPerSecond ?? null;
    });
    await phase('baseline uws hello', async () => {
      const { servers, ports } = await startServers('uws', 1);
      try {
        const c = await runCannon({ url: `http://127.0.0.1:${ports[0]}`, method: 'GET', path: '/hello', connections: 100, processes: 2, seconds: p.helloSeconds, maxSeconds: p.helloSeconds + 5 });
        r.details.uwsHello = c;
        r.uwsHelloPerSecond = c.perSecond;
        if (wrkAvailable()) {
          const cpu0 = cpuSeconds(servers[0]!.pid);
          const w = await runWrk({ url: `http://127.0.0.1:${ports[0]}`, method: 'GET', path: '/hello', seconds: p.helloSeconds, connections: 100, threads: 2 });
          r.details.uwsHelloWrk = w;
          r.uwsHelloPerSecond = w.perSecond;
          r.helloCpuUs = usPerOp(cpuSeconds(servers[0]!.pid) - cpu0, w.requests);
          // The checkout's framework refusing a POST with a prebuilt body: the floor of a junk refusal.
          const hx = spawnTs('baseline/hx-refuse.ts');
          try {
            const { port } = await hx.next<{ port: number }>((m) => m.t === 'ready', 60_000, 'ready message');
            const wr = { url: `http://127.0.0.1:${port}`, method: 'POST' as const, path: '/v1/checkout', body: '{"sku":"SKU-1","qty":1}', connections: 100, threads: 2 };
            await runWrk({ ...wr, seconds: 1 }); // warm-up
            const c0 = cpuSeconds(hx.pid);
            const hw = await runWrk({ ...wr, seconds: p.helloSeconds });
            r.frameworkRefuseCpuUs = usPerOp(cpuSeconds(hx.pid) - c0, hw.requests);
          } finally {
            await hx.stop();
          }
        }
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    });
    await phase('baseline redis', async () => {
      if (!(await redisBenchmarkAvailable())) throw new Error('redis-benchmark not installed (Debian package redis-tools)');
      const c = await measureRedisCeiling(stores.redis, stores.prefix, { redisUrl: REDIS_URL, requests: p.redisRequests, clients: 50, pipeline: 1 });
      r.details.redis = c;
      r.redisPurchasePerSecond = c.opsPerSecond;
    });
    await phase('checkout', async () => {
      const c = await runCheckoutSuite(stores, {
        firstUseTickets: p.firstUseTickets, maxSeconds: p.checkoutMaxSeconds, fixedRateSeconds: p.fixedRateSeconds,
        junkSeconds: p.shortRunSeconds, repeatSeconds: p.shortRunSeconds, drainSeconds: p.drainSeconds,
        loadProcesses: 2, connections: 100, verifySeconds: p.verifySeconds, baseline: true, workers: p.checkoutWorkers,
      }, (m) => log(`   ${m}`));
      r.details.checkout = c;
      r.checkoutPerSecond = c.firstUse.perSecond;
      r.checkoutP99Ms = c.fixedRate?.corrected.p99 ?? null;
      r.verifyCeilingPerSecond = c.verifyCeiling.perSecond;
      // Junk: wrk's figures when wrk is installed (autocannon costs the shared cores as much as the
      // server it drives on this path), the same tool for Sluice and the baseline.
      r.rejectsPerSecond = c.wrk?.junk.perSecond ?? c.junk.perSecond;
      r.rejectsUnknownKeyPerSecond = c.wrk?.junkUnknownKey.perSecond ?? c.junkUnknownKey.perSecond;
      r.repeatPerSecond = c.repeat.perSecond;
      r.baselineCheckoutPerSecond = c.baseline?.firstUse.perSecond ?? null;
      r.baselineRejectsPerSecond = (c.wrk ? c.baseline?.wrkJunk?.perSecond : c.baseline?.junk.perSecond) ?? null;
      r.ordersPerSecond = c.orders?.perSecond ?? null;
      r.checkoutCpuUs = c.cpu.checkoutUs;
      r.verifyCpuUs = c.verifyCeiling.cpuUsPerVerify;
      r.checkoutRedisCpuUs = c.cpu.checkoutRedisUs;
      r.rejectCpuUs = c.cpu.rejectUs;
      r.rejectRedisCpuUs = c.cpu.rejectRedisUs;
      r.orderRedisCpuUs = c.orders?.redisCpuUs ?? null;
      r.orderWorkerCpuUs = c.orders?.workerCpuUs ?? null;
      r.orderPgCpuUs = c.orders?.pgCpuUs ?? null;
      r.orderBatchSize = c.orders?.batchSize ?? null;
      r.baselineCheckoutCpuUs = c.cpu.baselineCheckoutUs;
      r.baselineRejectCpuUs = c.cpu.baselineRejectUs;
    });
    const gateWorkers = Math.max(2, Math.ceil(Math.max(p.held, p.sale.shoppers) / MAX_SOCKETS_PER_WORKER));
    await phase('gate hold', async () => {
      const workers = p.gateWorkers ?? Math.max(2, Math.ceil(p.held / MAX_SOCKETS_PER_WORKER));
      // memoryHook: a full GC before each memory reading, as the baselines do (gate/mem-hook.mjs).
      // The admitter where the profile says (see Profile.gateAdmitter).
      const gate = await startGateCluster(stores, { workers, tickMs: p.tickMs, memoryHook: true, admitter: p.gateAdmitter ?? 'every' });
      try {
        const rate = p.gateArrivalRate ?? p.arrivalRate;
        const g = await runGateHold(stores, gate, {
          evt: 'hold', total: p.held, ratePerS: rate, holdSeconds: p.holdSeconds, joinTimeoutMs: Math.max(120_000, (p.held / rate) * 3000),
          settleMaxMs: p.settleMaxMs, maxGcRounds: p.maxGcRounds, socketsPerAddress: p.gateSocketsPerAddress, swarmWorkers: p.gateSwarmWorkers,
          maxAttempts: p.gateMaxAttempts, attemptTimeoutMs: p.gateMaxAttempts ? GATE_ATTEMPT_TIMEOUT_MS : undefined,
          // With retries: at most 3 s of arrivals and never over 1,000 handshakes in flight, so a gate
          // that falls behind is not buried (a socket whose join it has not handled 10 s after the
          // upgrade is closed, JOIN_TIMEOUT 4003, and retried): at 1,000/s offered and 3,000 in flight
          // a gate doing 115 joins/s (load 25-38) closed 8,841 sockets so.
          maxPending: p.gateMaxAttempts ? Math.max(200, Math.min(1000, rate * 3)) : undefined,
          tickMs: p.tickMs,
        });
        r.details.gateHold = g;
        r.heldConnections = g.held;
        r.gateBytesPerConnection = g.bytesPerConnection;
        r.joinsPerSecond = g.swarm.joinsPerSecond;
        r.joinP99Ms = g.swarm.join.p99;
        r.broadcastP99Ms = Number.isFinite(g.swarm.broadcast.p99) ? g.swarm.broadcast.p99 : null;
        r.tickToSocketP99Ms = Number.isFinite(g.tickToSocket.p99) && g.tickToSocket.deliveries > 0 ? g.tickToSocket.p99 : null;
        r.joinGateCpuUs = g.joinGateCpuUs;
        r.joinRedisCpuUs = g.joinRedisCpuUs;
        r.listenOverflows = g.listenOverflows;
        r.frameGateCpuUs = g.frameGateCpuUs;
        r.joinsOfferedPerSecond = g.arrivalRatePerS;
        // A reading ≤ 0 (memory went down while sockets were added) is a failed measurement: flagged,
        // and the targets on memory then count as not measured.
        r.gateMemoryReadingFailed = g.memory.failed;
        r.gateBytesPerConnectionSpread = g.memory.spreadBytes;
        r.joinRetries = g.retries ?? null;
        r.joinedAfterRetry = g.joinedAfterRetry ?? null;
        // Partial figures above; the phase still counts as failed.
        if (g.shortfall) r.errors['gate hold'] = g.shortfall;
      } finally {
        await gate.stop();
      }
    });
    // `--only hold` includes it; `--only "join cost"` runs it alone.
    await phase('gate hold: join cost', async () => {
      const gate = await startGateCluster(stores, { workers: 2, tickMs: p.tickMs });
      try {
        const c = await runJoinCost(stores, gate, {
          evt: 'join-cost',
          wsJoins: Math.min(p.held, 5000),
          wsRatePerS: Math.min(p.gateArrivalRate ?? p.arrivalRate, 1000),
          // As long as the hello floor runs in the profile (2 s at least); 5 s where it does not run.
          httpSeconds: p.helloSeconds > 0 ? Math.max(p.helloSeconds, 2) : 5,
          connections: 50,
        });
        r.details.joinCost = c;
        r.joinHttpGateCpuUs = c.http?.gateCpuUs ?? null;
        r.joinHttpRedisCpuUs = c.http?.redisCpuUs ?? null;
        r.joinHttpFloorCpuUs = c.http?.floorCpuUs ?? null;
      } finally {
        await gate.stop();
      }
    });
    await phase('prequeue open', async () => {
      const gate = await startGateCluster(stores, { workers: 2, tickMs: p.tickMs });
      try {
        const o = await runPrequeueOpen(stores, { evt: 'drop', members: p.prequeue, maxOpenSeconds: 600 });
        r.details.prequeueOpen = o;
        r.prequeueMembers = o.members;
        if (o.numbered !== o.members || !o.seedRevealed) throw new Error(`numbered ${o.numbered} of ${o.members}, seed revealed ${o.seedRevealed}`);
        r.prequeueOpenS = o.openSeconds;
      } finally {
        await gate.stop();
      }
    });
    await phase('flash sale', async () => {
      // The admitter runs in a process of its own (GATE_ADMITTER=dedicated): the swarm's socket
      // work on the gate workers does not delay its ticks.
      const gate = await startGateCluster(stores, { workers: gateWorkers, tickMs: p.tickMs, admitter: 'dedicated' });
      try {
        const s = await runFlashSale(stores, gate, {
          evt: 'sale', shoppers: p.sale.shoppers, joinRatePerS: p.sale.joinRate, releaseRate: p.sale.releaseRate,
          stock: p.sale.stock, buyProbability: p.sale.p, maxSaleSeconds: p.sale.maxSaleSeconds, checkoutWorkers: p.checkoutWorkers,
          tickMs: p.tickMs, gateAdmitter: 'dedicated',
        }, (m) => log(`   ${m}`));
        r.details.flashSale = s;
        r.admissionErrorPct = Number.isFinite(s.admissionErrorPct) ? s.admissionErrorPct : null;
        r.fifoInversions = s.fifoInversions;
        r.oversold = s.oversold;
        r.etaErrorPct = Number.isFinite(s.eta.meanPct) ? s.eta.meanPct : null;
        r.timeToSellOutS = s.timeToSellOutS;
        // Tick lateness: the gaps between releases past the tick on the bucket's clock (admission
        // log); without a window, state-frame gaps as a subscriber sees them.
        const ticks = s.samples.filter((x) => x.now >= s.startAt).map((x) => x.now);
        const late = ticks.slice(1).map((t, i) => Math.max(0, t - ticks[i]! - p.tickMs)).sort((a, b) => a - b);
        if (s.releaseLate) {
          r.tickLateP50Ms = s.releaseLate.p50;
          r.tickLateP99Ms = s.releaseLate.p99;
          r.tickLateMaxMs = s.releaseLate.max;
        } else if (late.length) {
          r.tickLateP50Ms = late[Math.floor(0.5 * (late.length - 1))]!;
          r.tickLateP99Ms = late[Math.floor(0.99 * (late.length - 1))]!;
          r.tickLateMaxMs = late.at(-1)!;
        }
      } finally {
        await gate.stop();
      }
    });
  } finally {
    await stores.cleanup();
  }
  r.durationS = (Date.now() - t0) / 1000;
  r.loadAvgAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  return r;
}

/** Write the run: <timestamp>.json, latest.json, REPORT.md and charts into `dir`. */
export function writeResults(r: BenchResult, dir: string): { json: string; report: string; charts: string[] } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(json, `${JSON.stringify(r, null, 1)}\n`);
  copyFileSync(json, join(dir, 'latest.json'));
  const charts = writeCharts(r, dir);
  const report = join(dir, 'REPORT.md');
  writeFileSync(report, markdown(r, charts));
  return { json, report, charts };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const base = PROFILES[arg('--profile') ?? 'quick'];
  if (!base) {
    console.error(`unknown profile; one of ${Object.keys(PROFILES).join(', ')}`);
    process.exit(2);
  }
  // `--set held=20000,gateArrivalRate=300`: a smaller variant of a profile (numeric fields only).
  const profile = withOverrides(base, arg('--set') ?? '');
  const out = arg('--out') ?? fileURLToPath(new URL('../results/', import.meta.url));
  if (process.argv.includes('--render')) {
    // Re-render REPORT.md and the charts from <out>/latest.json (no measuring).
    const r = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResult;
    const charts = writeCharts(r, out);
    writeFileSync(join(out, 'REPORT.md'), markdown(r, charts));
    console.log(`rendered ${join(out, 'REPORT.md')}`);
    process.exit(0);
  }
  const only = arg('--only')?.split(',').filter(Boolean) ?? [];
  const r = await runBench(profile, console.log, only);
  const w = writeResults(r, out);
  console.log(`wrote ${w.json}, ${w.report}, charts ${w.charts.join(', ')}`);
  const { details: _d, machine: _m, errors, ...headline } = r;
  console.log(JSON.stringify(headline, null, 1));
  if (Object.keys(errors).length) console.log('phases that failed:', errors);
  process.exit(0);
}
