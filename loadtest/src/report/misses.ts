// The report's cost table (each operation beside its floor) and "What bounds the misses".
import { f } from './fmt.ts';
import { tickBound } from './hold-notes.ts';
import { joinCostRows } from './join-cost.ts';
import type { BenchResult } from './types.ts';

/** "What bounds the misses": statements computed from the run's own figures. */
export function bounds(r: BenchResult): string[] {
  const d = r.details;
  const L: string[] = ['## What bounds the misses', ''];
  const ck = d.checkout;
  if (ck) {
    const perCore = ck.firstUse.serverCpuCores > 0 ? ck.firstUse.perSecond / ck.firstUse.serverCpuCores : Number.NaN;
    L.push(
      `- First-use checkout: ${f(ck.firstUse.perSecond)}/s with the checkout processes using ${ck.firstUse.serverCpuCores} of ${r.machine.cores} cores ` +
        `(${f(perCore)}/s per checkout core); the rest of the machine runs the load generator, Redis and the kernel's loopback. ` +
        `A first use no longer verifies a signature (the purchase script compares the digest the gate recorded); the bare verify ceiling, ${f(ck.verifyCeiling.perSecond)}/s on ${ck.verifyCeiling.processes} cores doing nothing else, is the yardstick its cost is held to. ` +
        `Per checkout the checkout processes spent ${f(r.checkoutCpuUs, ' µs', 1)} of CPU and Redis ${f(r.checkoutRedisCpuUs, ' µs', 1)}, against ${f(r.verifyCpuUs, ' µs', 1)} for one bare verification and ${f(r.helloCpuUs, ' µs', 1)} for a raw uWS hello-world answer; ` +
        'with no signature to verify, what is left is HTTP on uWS (the route is registered on uWS directly, no framework objects), the door (claims decode, one SHA-256, a Set lookup), JSON parsing of the body, the script call with ioredis, the order write\'s share and the answer, plus the kernel\'s loopback work for two connections (client and Redis) per checkout.',
    );
    L.push(
      `- Junk rejection: a well-formed ticket with a known kid and a wrong signature costs the checkout processes ${f(r.rejectCpuUs, ' µs', 1)} and Redis ${f(r.rejectRedisCpuUs, ' µs', 1)} (its share of the door's barrier PINGs), ${f(r.rejectsPerSecond)}/s; ` +
        `refused before any crypto (kid in no keyring) it is ${f(r.rejectsUnknownKeyPerSecond)}/s` +
        (ck.wrk ? ` at ${ck.wrk.junkUnknownKey.serverCpuCores} checkout cores (${f(ck.wrk.junkUnknownKey.perSecond / ck.wrk.junkUnknownKey.serverCpuCores)}/s per core: uWS, the claims decode and a prebuilt answer)` : '') +
        `, against a raw uWS hello world of ${f(r.uwsHelloPerSecond)}/s on the same machine with the same load generator. ` +
        `Per request, raw uWS answers a hello for ${f(r.helloCpuUs, ' µs', 1)} (hyper-express alone would refuse a POST with a prebuilt body for ${f(r.frameworkRefuseCpuUs, ' µs', 1)}; checkout no longer goes through it on this route): ` +
        `of the ${f(r.rejectCpuUs, ' µs', 1)} a junk rejection costs, ${f(r.rejectCpuUs !== null && r.helloCpuUs !== null ? r.rejectCpuUs - r.helloCpuUs : null, ' µs', 1)} is above the hello ` +
        '(the claims decode and checks, one SHA-256 and a Set lookup, then the barrier every unknown digest waits for: the body read into a buffer (onData, onAborted) while it waits, its share of a PING (one per 2 ms at most), the answer written in a cork from the PING\'s reply; per-request metrics). ' +
        `The target (≤ 1/10 of a verify, ${f(r.verifyCpuUs !== null ? r.verifyCpuUs / 10 : null, ' µs', 1)}) ` +
        (r.verifyCpuUs !== null && r.helloCpuUs !== null && r.helloCpuUs > r.verifyCpuUs / 10
          ? 'is below what a raw uWS hello world costs per request here: no HTTP answer from Node can meet it on this machine.'
          : 'leaves almost nothing beside uWS itself.'),
    );
    if (ck.fixedRate) {
      L.push(
        `- Checkout p99 at half rate: ${f(ck.fixedRate.corrected.p99, ' ms', 1)} corrected, ${f(ck.fixedRate.uncorrected.p99, ' ms', 1)} uncorrected, p50 ${f(ck.fixedRate.corrected.p50, ' ms', 2)}: ` +
          `corrected and uncorrected tails agree, so the sender kept its schedule; with the median that low, the tail is consistent with scheduling delays on ${r.machine.cores} cores shared by the load generator, Redis and the checkout processes with their crypto threads.`,
      );
    }
    if (ck.orders) {
      L.push(
        `- Orders persisted: ${f(ck.orders.perSecond)}/s from one order worker process sharing the cores with PostgreSQL, Redis and the rest of the machine's load; ` +
          `${f(ck.orders.workerCpuUs, ' µs', 1)} of worker CPU, ${f(ck.orders.redisCpuUs, ' µs', 1)} of Redis CPU and ${f(ck.orders.pgCpuUs ?? null, ' µs', 1)} of PostgreSQL CPU per order ` +
          `(${f(((ck.orders.workerCpuUs ?? 0) + (ck.orders.redisCpuUs ?? 0) + (ck.orders.pgCpuUs ?? 0)) / 100, ' cores', 2)} at 10,000 orders/s). The worker reads batches from the event's order stream, writes each with one INSERT and closes its reservations with one script call per 500; ` +
          `what is left per order is the worker's JavaScript (entry parse, payment simulator, row JSON, replies) and PostgreSQL's insert into three unique indexes. Below the target, the drain got less CPU than that of a machine shared with the load generators and other work (load average at the start of the run above).`,
      );
    }
  }
  const s = d.flashSale;
  if (s) {
    const ticks = s.samples.filter((x) => x.now >= s.startAt).map((x) => x.now);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    if (gaps.length) {
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      L.push(
        `- Admission-rate error: ${f(s.admissionErrorPct, '%', 2)} with each tick timed when the admit script released it (the bucket's clock, the admission log's \`t\`); ${f(s.admissionErrorAdmitterClockPct, '%', 2)} with the same ticks timed by the admitter's stamp at the start of the tick (\`admitted-at\`, taken several round trips before the release, so on a busy event loop a window's two ends are off by different amounts). ` +
          `Releases came ${f(r.tickLateP50Ms ?? null, ' ms')} (p50), ${f(r.tickLateP99Ms, ' ms')} (p99), ${f(r.tickLateMaxMs, ' ms')} (max) later than one tick (GATE_TICK_MS) after the previous one; state frames reached the swarm every ${f(mean, ' ms')} on average, longest gap ${f(Math.max(...gaps), ' ms')}. The token bucket lives in Redis on Redis time and this sale's bucket holds ${f(s.rateWindow?.burst)} (2 s of the rate), so a late tick releases everything that accrued while it was late unless it is later than that. ` +
          `The busy machine (swarm, gate, ${d.checkout?.processes ?? 'the'} checkout processes, order worker, Redis, PostgreSQL on ${r.machine.cores} cores) delays the ticks.`,
      );
    }
  }
  const g = d.gateHold;
  if (g) {
    L.push(
      `- Joins and broadcast: the gate took ${f(g.swarm.joinsPerSecond)}/s joins (raw uWS with the same swarm: ${f(d.uwsHold?.joinsPerSecond)}/s, \`ws\`: ${f(d.wsHold?.joinsPerSecond)}/s) ` +
        `and delivered a tick to all ${f(g.held)} sockets with p99 ${f(g.swarm.broadcast.p99, ' ms')}; the swarm's ${g.swarmWorkers} processes read every frame on the same ${r.machine.cores} cores as the ${g.gateWorkers} gate processes. ` +
        tickBound(g, r.frameGateCpuUs, r.frameFloorCpuUs, r.machine.cores, r.profile),
    );
  }
  return L;
}

/** The cost of each operation beside its floor, measured in the same run. */
export function cpuTable(r: BenchResult): string[] {
  const us = (v: number | null) => f(v, ' µs', 1);
  const ratioOf = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  const redisFloor = r.details.redis?.cpuUs ?? null;
  return [
    '## CPU per operation',
    '',
    'CPU (user + system) of every server process of the phase from `/proc/<pid>/stat`, and of Redis from `INFO cpu`, read before and after the phase and divided by the operations done in it. ' +
      'The load generators run on the same cores and are not counted; Redis is counted whole, so any other client of it during the phase is included.',
    '',
    '| operation | CPU per operation | floor (same run) | ratio |',
    '|---|---|---|---|',
    `| first-use checkout, checkout processes (\`checkoutCpuUs\`) | ${us(r.checkoutCpuUs)} | ${us(r.verifyCpuUs)}: one bare Ed25519 verify (\`verifyCpuUs\`, target ≤ 1.5×) | ${ratioOf(r.checkoutCpuUs, r.verifyCpuUs)} |`,
    `| first-use checkout, Redis (\`checkoutRedisCpuUs\`) | ${us(r.checkoutRedisCpuUs)} | ${us(redisFloor)}: one purchase script via redis-benchmark | ${ratioOf(r.checkoutRedisCpuUs, redisFloor)} |`,
    `| junk rejection, checkout processes (\`rejectCpuUs\`) | ${us(r.rejectCpuUs)} | ${us(r.verifyCpuUs)} verify (target ≤ 0.1×); ${us(r.helloCpuUs)} raw uWS hello (\`helloCpuUs\`) | ${ratioOf(r.rejectCpuUs, r.verifyCpuUs)} of verify, ${ratioOf(r.rejectCpuUs, r.helloCpuUs)} of hello |`,
    `| junk rejection, Redis (\`rejectRedisCpuUs\`) | ${us(r.rejectRedisCpuUs)} | | |`,
    `| hyper-express alone: read the body, answer a prebuilt 401 (\`frameworkRefuseCpuUs\`) | ${us(r.frameworkRefuseCpuUs)} | ${us(r.helloCpuUs)} raw uWS hello | ${ratioOf(r.frameworkRefuseCpuUs, r.helloCpuUs)} |`,
    `| order persisted, order worker (\`orderWorkerCpuUs\`) | ${us(r.orderWorkerCpuUs)} | | |`,
    `| order persisted, Redis (\`orderRedisCpuUs\`) | ${us(r.orderRedisCpuUs)} | | |`,
    `| order persisted, the worker's PostgreSQL backends (\`orderPgCpuUs\`) | ${us(r.orderPgCpuUs ?? null)} | | |`,
    `| conventional stack, first-use checkout (\`baselineCheckoutCpuUs\`) | ${us(r.baselineCheckoutCpuUs)} | Sluice ${us(r.checkoutCpuUs)} (target ≥ 3× less) | ${ratioOf(r.baselineCheckoutCpuUs, r.checkoutCpuUs)} |`,
    `| conventional stack, junk rejection (\`baselineRejectCpuUs\`) | ${us(r.baselineRejectCpuUs)} | Sluice ${us(r.rejectCpuUs)} (target ≥ 20× less) | ${ratioOf(r.baselineRejectCpuUs, r.rejectCpuUs)} |`,
    ...joinCostRows(r),
    '',
    ...idleNote(r),
  ];
}

/** Background CPU carried by every per-operation figure, from the idle reading before the runs. */
function idleNote(r: BenchResult): string[] {
  const c = r.details.checkout?.cpu;
  if (!c || c.checkoutIdleCores === null) return [];
  const rate = r.checkoutPerSecond ?? 0;
  const share = rate > 0 ? (c.checkoutIdleCores / rate) * 1e6 : Number.NaN;
  return [
    `Idle, before the runs: the checkout processes used ${c.checkoutIdleCores} cores and Redis ${c.redisIdleCores} cores (timers, refreshes, other clients). ` +
      `At the first-use rate of ${f(rate)}/s the checkout processes' idle CPU alone is ${f(share, ' µs', 1)} per checkout; the figures above include it (nothing is subtracted).`,
    '',
  ];
}
