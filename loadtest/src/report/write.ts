// Writes a run's JSON, the Markdown report and the SVG charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gateHoldNotes, memCell, memoryMethod, tickBound } from './hold-notes.ts';
import { barChart, lineChart, type Series } from './svg.ts';
import { joinCostRows, joinCostSection } from './join-cost.ts';
import { joinReadingFailed } from './join-net.ts';
import { checkTargets } from './targets.ts';
import type { BenchResult } from './types.ts';

const f = (v: number | null | undefined, unit = '', digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${v.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit}`;
const x = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

export function writeCharts(r: BenchResult, dir: string): string[] {
  const files: [string, string][] = [];
  const fs = r.details.flashSale;
  if (fs?.samples.length) {
    const t0 = fs.startAt;
    const len: Series = { name: 'queue length (state frames)', points: fs.samples.map((s) => [(s.now - t0) / 1000, s.len]) };
    const adm: Series = { name: 'admitted (cumulative)', points: fs.admittedOverTime };
    const last = fs.admittedOverTime.at(-1)?.[0] ?? 10;
    const cfg: Series = {
      name: `configured rate × time (${fs.options.releaseRate}/s)`,
      points: [
        [0, 0],
        [last, fs.options.releaseRate * last],
      ],
      dashed: true,
    };
    files.push(['queue.svg', lineChart({ title: 'Flash sale: queue and admissions vs configured rate', xLabel: 's since start', yLabel: 'shoppers', series: [len, adm, cfg] })]);
  }
  const lat: Series[] = [];
  const ck = r.details.checkout;
  if (ck?.fixedRate) lat.push({ name: `checkout @${ck.fixedRate.ratePerS}/s (CO-corrected)`, points: ck.fixedRate.correctedCdf });
  const gh = r.details.gateHold;
  if (gh) {
    lat.push({ name: 'join (open → welcome)', points: gh.swarm.joinCdf });
    lat.push({ name: 'tick → socket', points: gh.swarm.broadcastCdf });
  }
  if (lat.length) files.push(['latency.svg', lineChart({ title: 'Latency distributions (CDF)', xLabel: 'ms (log)', yLabel: 'fraction ≤ x', series: lat, logX: true })]);
  // Only ticks that reached (nearly) every held socket: the steady state the headline p99 uses
  // (ticks during the joins reach fewer sockets on a machine busy with handshakes).
  const fullTicks = gh ? gh.swarm.ticks.filter((t) => t.n >= gh.swarm.joined * 0.99) : [];
  if (gh && fullTicks.length) {
    const t0 = fullTicks[0]!.now;
    files.push([
      'broadcast.svg',
      lineChart({
        title: `Per-tick delay while all ${gh.held} sockets are held (${fullTicks.length} ticks)`,
        xLabel: 's',
        yLabel: 'ms',
        series: [
          { name: 'p50 across sockets', points: fullTicks.map((t) => [(t.now - t0) / 1000, t.p50]) },
          { name: 'p99', points: fullTicks.map((t) => [(t.now - t0) / 1000, t.p99]) },
          { name: 'last socket', points: fullTicks.map((t) => [(t.now - t0) / 1000, t.max]) },
        ],
      }),
    ]);
  }
  const mem = [
    { label: 'Sluice gate', value: r.gateBytesPerConnection ?? Number.NaN },
    { label: 'raw uWS', value: r.baselineUwsBytesPerConnection ?? Number.NaN },
    { label: 'ws', value: r.baselineWsBytesPerConnection ?? Number.NaN },
    { label: 'raw uWS, no forced GC', value: r.details.uwsHold?.memory.withoutGc?.bytesPerConnection ?? Number.NaN },
    { label: 'ws, no forced GC', value: r.details.wsHold?.memory.withoutGc?.bytesPerConnection ?? Number.NaN },
    { label: 'gate, no forced GC', value: r.details.gateHold?.memory.withoutGc?.bytesPerConnection ?? Number.NaN },
  ];
  files.push(['memory.svg', barChart({ title: 'Server RSS per held WebSocket', unit: 'B', bars: mem })]);
  const thr = [
    { label: 'Sluice first-use checkout', value: r.checkoutPerSecond ?? Number.NaN },
    { label: 'Express first-use checkout', value: r.baselineCheckoutPerSecond ?? Number.NaN },
    { label: 'Ed25519 verify ceiling', value: r.verifyCeilingPerSecond ?? Number.NaN },
    { label: 'Redis purchase script', value: r.redisPurchasePerSecond ?? Number.NaN },
    { label: 'Sluice junk, bad signature', value: r.rejectsPerSecond ?? Number.NaN },
    { label: 'Sluice junk, unknown kid', value: r.rejectsUnknownKeyPerSecond ?? Number.NaN },
    { label: 'Express junk rejected', value: r.baselineRejectsPerSecond ?? Number.NaN },
    { label: 'raw uWS hello world', value: r.uwsHelloPerSecond ?? Number.NaN },
  ];
  files.push(['throughput.svg', barChart({ title: 'Requests per second', unit: '/s', bars: thr })]);
  mkdirSync(dir, { recursive: true });
  for (const [name, svg] of files) writeFileSync(join(dir, name), svg);
  return files.map(([n]) => n);
}

export function markdown(r: BenchResult, charts: string[]): string {
  const m = r.machine;
  const t = checkTargets(r);
  const d = r.details;
  const L: string[] = [];
  L.push(`# Sluice benchmark report (${r.profile} profile)`, '');
  L.push(
    `Run ${r.startedAt}, ${r.durationS.toFixed(0)} s. Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ` +
      `Node ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres}. Load average at start ${m.loadAvgAtStart.join(' / ')}, ` +
      `at end ${r.loadAvgAtEnd.join(' / ')} (1/5/15 min). Servers, load generators, Redis and PostgreSQL all share these cores, ` +
      'so every figure is a lower bound for a machine where the load comes from elsewhere.',
    '',
  );
  L.push('## Targets', '', '| what | target | measured | met | gap |', '|---|---|---|---|---|');
  for (const c of t) L.push(`| ${c.what} | ${c.target} | ${c.measured} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} | ${c.gap} |`);
  L.push('');
  L.push(...cpuTable(r));
  L.push('## Side by side', '', '| figure | Sluice | baseline | ratio |', '|---|---|---|---|');
  // A memory slope at or below zero, or any of its three readings, is a failed measurement, not a figure.
  const gcNote = r.details.gateHold?.memory.forcedGc ? 'after a forced full GC in every server' : 'no forced GC';
  const gateFailed = r.gateMemoryReadingFailed ?? d.gateHold?.memory.failed;
  const wsFailed = r.baselineMemoryReadingFailed?.ws ?? d.wsHold?.memory.failed;
  const uwsFailed = r.baselineMemoryReadingFailed?.uws ?? d.uwsHold?.memory.failed;
  const ofWs = gateFailed || wsFailed ? 'n/a (a failed measurement)' : `${x(r.gateBytesPerConnection, r.baselineWsBytesPerConnection)} of ws`;
  L.push(`| memory per held WebSocket (settled RSS, slope from half to all held, ${gcNote}) | ${memCell(r.gateBytesPerConnection, gateFailed)} (gate) | ${memCell(r.baselineWsBytesPerConnection, wsFailed)} (ws), ${memCell(r.baselineUwsBytesPerConnection, uwsFailed)} (raw uWS) | ${ofWs} |`);
  L.push(`| first-use checkouts/s | ${f(r.checkoutPerSecond)} | ${f(r.baselineCheckoutPerSecond)} (Express+jsonwebtoken ES256+ioredis+BullMQ) | ${x(r.checkoutPerSecond, r.baselineCheckoutPerSecond)} |`);
  L.push(`| first-use checkouts / bare Ed25519 verify ceiling | ${f(r.checkoutPerSecond)} | ${f(r.verifyCeilingPerSecond)} (${d.checkout?.verifyCeiling.processes ?? '?'} processes) | ${x(r.checkoutPerSecond, r.verifyCeilingPerSecond)} |`);
  L.push(`| junk tickets rejected/s (known kid, wrong signature${d.checkout?.wrk ? ', wrk' : ''}) | ${f(r.rejectsPerSecond)} | ${f(r.baselineRejectsPerSecond)} | ${x(r.rejectsPerSecond, r.baselineRejectsPerSecond)} |`);
  L.push(`| junk tickets rejected/s (kid in no keyring${d.checkout?.wrk ? ', wrk' : ''}) | ${f(r.rejectsUnknownKeyPerSecond)} | ${f(r.baselineRejectsPerSecond)} (the baseline checks no kid: same work as a wrong signature) | ${x(r.rejectsUnknownKeyPerSecond, r.baselineRejectsPerSecond)} |`);
  L.push(`| purchase script: checkout vs redis-benchmark | ${f(r.checkoutPerSecond)} | ${f(r.redisPurchasePerSecond)} (EVALSHA ${d.redis?.script.split(' ')[0] ?? 'purchase script'}, 50 clients) | ${x(r.checkoutPerSecond, r.redisPurchasePerSecond)} |`);
  L.push(`| WebSocket echo msgs/s (raw uWS vs ws) | ${f(r.uwsEchoPerSecond)} | ${f(r.wsEchoPerSecond)} | ${x(r.uwsEchoPerSecond, r.wsEchoPerSecond)} |`);
  L.push(`| raw uWS hello-world HTTP req/s (${d.uwsHelloWrk ? 'wrk' : 'autocannon'}; the most any HTTP path can show here) | ${f(r.uwsHelloPerSecond)} | | |`, '');

  if (d.gateHold) {
    const g = d.gateHold;
    L.push('## Gate: held connections, joins, broadcast', '');
    L.push(
      `${f(g.requested)} shoppers requested at ${f(g.arrivalRatePerS)}/s against ${g.gateWorkers} gate processes, from ${g.swarmWorkers} swarm processes; ` +
        `${f(g.held)} held (${f(g.swarm.failed)} failed: ${JSON.stringify(g.swarm.errors)}). Joins: ${f(g.swarm.joinsPerSecond)}/s over ${g.swarm.joinWindowS} s, ` +
        `latency p50 ${f(g.swarm.join.p50, ' ms', 1)}, p99 ${f(g.swarm.join.p99, ' ms', 1)}. Gate workers' settled RSS (summed over ${g.gateWorkers} processes) ${f(g.memory.rssEmptyBytes / 2 ** 20, ' MiB', 1)} empty → ${f(g.memory.rssHalfBytes / 2 ** 20, ' MiB', 1)} with ${f(g.memory.joinedFirstHalf)} held → ${f(g.memory.rssFullBytes / 2 ** 20, ' MiB', 1)} with all held: ` +
        `${f(g.bytesPerConnection, ' B')} per connection (slope over the second half; ${f(g.memory.bytesPerConnectionFromEmpty, ' B')} counted from empty, warm-up included${g.memory.settled.every(Boolean) ? '' : '; a reading did not settle within its limit, median of the last samples used'}). ` +
        `Tick delay over ${g.holdSeconds} s with every socket held: p50 ${f(g.swarm.broadcast.p50, ' ms', 1)}, p99 ${f(g.swarm.broadcast.p99, ' ms', 1)}, max ${f(g.swarm.broadcast.max, ' ms', 1)} ` +
        `(${f(g.swarm.broadcast.count)} deliveries). The delay includes the swarm's own time to read the frame: at this scale the clients share the two cores with the gate.`,
      '',
    );
  }
  if (d.gateHold || d.prequeueOpen) {
    const g = d.gateHold;
    const o = d.prequeueOpen;
    L.push('## What a shopper costs the gate', '');
    if (g)
      L.push(
        `Join windows (${f(g.joins)} joins in ${g.joinWindowS} s at ${f(g.arrivalRatePerS)}/s offered, ${f(g.swarm.joinsPerSecond)}/s done): gate workers ${joinReadingFailed(r.joinGateCpuUs) ? `a failed measurement (${f(r.joinGateCpuUs, ' µs', 1)} read: the state frames sent meanwhile, estimated at their measured cost, took all the gate's CPU of the windows)` : `${f(r.joinGateCpuUs, ' µs', 1)} of CPU per join`} (target ≤ 50), ` +
          `Redis ${f(r.joinRedisCpuUs, ' µs', 1)} per join (target ≤ 20; Redis INFO cpu, which includes any other client of this shared Redis), ` +
          `listen-queue overflows ${r.listenOverflows === null ? 'not measured' : f(r.listenOverflows)} (TcpExt ListenOverflows delta, machine-wide: other programs' listeners count too); the gate's own accept queues, sampled every 100 ms: fullest ${f(g.acceptQueue?.peak ?? null)} of 512, at the backlog in ${f(g.acceptQueue?.fullSamples ?? null)} of ${f(g.acceptQueue?.samples ?? null)} samples. ` +
          `Floor of a join (raw uWS, same swarm: accept, upgrade, one welcome): ${f(r.joinFloorCpuUs ?? null, ' µs', 1)}. ` +
          `The gate figure leaves out the ${f(g.framesDuringJoins ?? null)} state frames the ticks sent meanwhile to the sockets already held (at the per-frame cost measured below); with them ${f(g.joinGateCpuUsWithFrames ?? null, ' µs', 1)} per join. uWS does not expose its listen backlog (uSockets calls listen(fd, 512)); each gate process has its own accept queue (SO_REUSEPORT), so the queue a surge sees is 512 × gate processes. ` +
          `State frames while ${f(g.held)} sockets waited: ${f(g.framesDelivered)} frames delivered in ${g.holdSeconds} s, gate CPU ${f(r.frameGateCpuUs, ' µs', 2)} per frame; ` +
          `floor (raw uWS publish of a ${d.uwsHold?.publish?.frameBytes ?? '?'}-byte frame to ${f(d.uwsHold?.publish?.sockets ?? null)} sockets at the same tick): ${f(r.frameFloorCpuUs, ' µs', 2)} per frame. ` +
          `Memory per held socket, three readings at ${f(g.held)} held (${f(Math.round(g.held / g.gateWorkers))} per process) after a warm-up with half${g.memory.forcedGc ? ', each after a full GC in every gate process' : ''}: ${g.memory.perConnectionReadings.map((b) => f(b, ' B')).join(', ')} (spread ${f(g.memory.spreadBytes, ' B')})` +
          `${g.memory.failed ? ' — a reading ≤ 0: failed measurement, no figure reported' : ''}.` +
          (g.split
            ? ` Split per socket (V8's figures after the GC): live JS heap ${f(g.split.heapUsed, ' B')}, V8 heap pages ${f(g.split.heapPhysical, ' B')}, external ${f(g.split.external, ' B')}, global handles ${f(g.split.globalHandles, ' B')}, RSS outside the V8 heap (uWS, malloc) ${f(g.split.nonHeapRss, ' B')}.`
            : '') +
          (g.memory.withoutGc
            ? ` Without the GC (garbage of the joins included, moves with V8's timing): ${f(g.memory.withoutGc.bytesPerConnection, ' B')} per socket.`
            : '') +
          (g.tickToSocket
            ? ` Tick to socket over the ${g.holdSeconds} s hold (${g.tickToSocket.ticks} ticks, ${f(g.tickToSocket.deliveries)} deliveries): p50 ${f(g.tickToSocket.p50, ' ms', 1)}, p99 ${f(g.tickToSocket.p99, ' ms', 1)}, max ${f(g.tickToSocket.max, ' ms', 1)}.`
            : '') +
          gateHoldNotes(g, d.uwsHold?.publish) +
          memoryMethod(g.memory, false),
        '',
      );
    if (o)
      L.push(
        `Opening: ${f(o.members)} shoppers joined the pre-queue through the join script (pipelined, ${o.fillSeconds} s), then the start: open with the seed revealed ${o.openSeconds} s later (target ≤ 15 s at 1,000,000), ${f(o.numbered)} numbered.`,
        '',
      );
  }
  L.push(...joinCostSection(r));
  for (const h of [d.uwsHold, d.wsHold]) {
    if (!h) continue;
    L.push(
      `Baseline ${h.impl === 'uws' ? 'raw uWS' : '`ws`'} (${h.processes} processes, one welcome per join, nothing else): ${f(h.held)} of ${f(h.requested)} sockets held, joins ${f(h.joinsPerSecond)}/s, p99 ${f(h.joinP99Ms, ' ms', 1)}; ` +
        `settled RSS ${f(h.memory.rssEmptyBytes / 2 ** 20, ' MiB', 1)} → ${f(h.memory.rssHalfBytes / 2 ** 20, ' MiB', 1)} → ${f(h.memory.rssFullBytes / 2 ** 20, ' MiB', 1)}: ${memCell(h.bytesPerConnection, h.memory.failed)} per connection ` +
        `(${f(h.memory.bytesPerConnectionFromEmpty, ' B')} from empty)` +
        (h.memory.forcedGc ? ' (each reading after a forced full GC)' : '') +
        (h.memory.withoutGc
          ? `; the same readings just before each GC ${f(h.memory.withoutGc.rssEmptyBytes / 2 ** 20, ' MiB', 1)} → ${f(h.memory.withoutGc.rssHalfBytes / 2 ** 20, ' MiB', 1)} → ${f(h.memory.withoutGc.rssFullBytes / 2 ** 20, ' MiB', 1)}: ${f(h.memory.withoutGc.bytesPerConnection, ' B')} per connection (${f(h.memory.withoutGc.bytesPerConnectionFromEmpty, ' B')} from empty)`
          : '') +
        (h.memory.failed ? ` (readings ${h.memory.perConnectionReadings.map((b) => f(b, ' B')).join(', ')}: one ≤ 0, a failed measurement)` : ` (three readings spread ${f(h.memory.spreadBytes, ' B')})`) +
        (h.memory.forcedGc ? `.${memoryMethod(h.memory).replace(/\.$/, '')}` : '') +
        (h.echo ? `; echo on ${h.echo.sockets} sockets ${f(h.echo.msgsPerSecond)} msgs/s, RTT p99 ${f(h.echo.rttP99Ms, ' ms', 1)}.` : '.'),
      '',
    );
  }
  if (d.checkout) {
    const c = d.checkout;
    L.push('## Checkout', '');
    L.push(
      `The checkout API runs as ${c.processes} processes on one port (CHECKOUT_WORKERS; its supervisor forks them, SO_REUSEPORT spreads connections). ` +
        `First use (distinct never-seen ticket per request, closed loop, ${c.firstUse.connections} connections from ${c.firstUse.processes} autocannon processes): ` +
        `${f(c.firstUse.perSecond)}/s for ${c.firstUse.seconds} s, ${JSON.stringify(c.firstUse.statusCodes)}, latency p50 ${c.firstUse.latencyMs.p50} ms, p99 ${c.firstUse.latencyMs.p99} ms; ` +
        `checkout processes' CPU ${c.firstUse.serverCpuCores} cores. Reused tickets: ${c.firstUse.reused}.`,
      '',
    );
    if (c.fixedRate) {
      const fr = c.fixedRate;
      L.push(
        `Fixed rate ${f(fr.ratePerS)}/s (half the first-use rate), open loop for ${fr.seconds} s: ${f(fr.achievedPerSecond)}/s completed, ${JSON.stringify(fr.statusCodes)}. ` +
          `Latency from each request's scheduled time (coordinated-omission corrected, wrk2 style): p50 ${f(fr.corrected.p50, ' ms', 2)}, p99 ${f(fr.corrected.p99, ' ms', 2)}, p99.9 ${f(fr.corrected.p999, ' ms', 2)}; ` +
          `from the actual send (uncorrected): p50 ${f(fr.uncorrected.p50, ' ms', 2)}, p99 ${f(fr.uncorrected.p99, ' ms', 2)}. ` +
          "autocannon's own rate mode is not used for this: it corrects with an expected interval of `ceil(1 / rate)` = 1 ms whatever the rate, and its connections wait for answers, so the schedule slips.",
        '',
      );
    }
    L.push(
      `Repeat requests (same tickets again, same sku and qty, reservation still open: the script answers with the first order, a replay): ${f(c.repeat.perSecond)}/s, ${JSON.stringify(c.repeat.statusCodes)}, p99 ${c.repeat.latencyMs.p99} ms.`,
      '',
      `Junk (well-formed, known kid, wrong Ed25519 signature, for places never admitted), autocannon: ${f(c.junk.perSecond)}/s, ${JSON.stringify(c.junk.statusCodes)}, p99 ${c.junk.latencyMs.p99} ms, checkout CPU ${c.junk.serverCpuCores} cores. ` +
        'Such a ticket passes every cheap check (shape, alg, typ, kid, exp, nbf, iss/aud/evt); checkout\'s door then finds its digest among none of the tickets the gate issued (an in-process set fed by the gate\'s `issued` channel), waits for one PING on its subscriber connection (shared by the requests waiting meanwhile) and refuses it with a prebuilt 401: no body read, no purchase script, no Ed25519. ' +
        `Junk whose kid is in no keyring (refused before any crypto), autocannon: ${f(c.junkUnknownKey.perSecond)}/s, ${JSON.stringify(c.junkUnknownKey.statusCodes)}, p99 ${c.junkUnknownKey.latencyMs.p99} ms, checkout CPU ${c.junkUnknownKey.serverCpuCores} cores.`,
      '',
    );
    if (c.wrk) {
      L.push(
        `The same junk runs with wrk (2 threads, ${c.wrk.junk.connections} connections; C, so the load generator takes less of the shared cores): wrong signature ${f(c.wrk.junk.perSecond)}/s ` +
          `(${f(c.wrk.junk.non2xx)} of ${f(c.wrk.junk.requests)} answered non-2xx, p99 ${c.wrk.junk.latencyMs.p99} ms, checkout CPU ${c.wrk.junk.serverCpuCores} cores); ` +
          `unknown kid ${f(c.wrk.junkUnknownKey.perSecond)}/s (${f(c.wrk.junkUnknownKey.non2xx)} of ${f(c.wrk.junkUnknownKey.requests)} non-2xx, p99 ${c.wrk.junkUnknownKey.latencyMs.p99} ms, checkout CPU ${c.wrk.junkUnknownKey.serverCpuCores} cores). These are the headline rejection figures.`,
        '',
      );
    }
    if (c.baseline) {
      L.push(
        `Baseline (Express 5 + jsonwebtoken 9 + ioredis + BullMQ, same purchase script; jsonwebtoken has no EdDSA, so its tickets are ES256, which node:crypto verifies faster than Ed25519 here): ` +
          `first use ${f(c.baseline.firstUse.perSecond)}/s (${JSON.stringify(c.baseline.firstUse.statusCodes)}, p99 ${c.baseline.firstUse.latencyMs.p99} ms, CPU ${c.baseline.firstUse.serverCpuCores} cores); ` +
          `junk ${f(c.baseline.junk.perSecond)}/s (${JSON.stringify(c.baseline.junk.statusCodes)})` +
          (c.baseline.wrkJunk ? `, with wrk ${f(c.baseline.wrkJunk.perSecond)}/s (${f(c.baseline.wrkJunk.non2xx)} of ${f(c.baseline.wrkJunk.requests)} non-2xx)` : '') +
          `. ${c.baseline.processes} processes (node:cluster), as many as the checkout.`,
        '',
      );
    }
    L.push(
      `Bare Ed25519 verification (node:crypto, synchronous, ${c.verifyCeiling.processes} processes at once, ${c.verifyCeiling.seconds} s, nothing else running): ${f(c.verifyCeiling.perSecond)}/s ` +
        `(${c.verifyCeiling.perProcess.map((v) => f(v)).join(' + ')}), ${f(c.verifyCeiling.cpuUsPerVerify, ' µs', 1)} of CPU each. A first-use checkout no longer pays one: ` +
        "the gate records each ticket's SHA-256 when it issues it and the purchase script compares the presented ticket's digest (node:crypto Ed25519 on a cached KeyObject remains for keys the process has not seen, order-status lookups and storefronts).",
      '',
    );
    if (c.orders) {
      L.push(
        `Order worker drain: ${f(c.orders.persisted)} of ${f(c.orders.accepted)} accepted orders written to PostgreSQL in ${c.orders.seconds} s: ${f(c.orders.perSecond)} orders/s; ` +
          `order worker CPU ${f(c.orders.workerCpuUs, ' µs', 1)}, Redis CPU ${f(c.orders.redisCpuUs, ' µs', 1)} and the worker's PostgreSQL backends ${f(c.orders.pgCpuUs ?? null, ' µs', 1)} per order (from the first order written to the last), ` +
          `batches of ${f(c.orders.batchSize ?? null)} read from the event's order stream (WORKER_BATCH_SIZE, chosen with \`loadtest/src/checkout/drain.ts\`: docs/adr/002-order-stream.md).`,
        '',
      );
    }
  }
  if (d.flashSale) {
    const s = d.flashSale;
    L.push('## Flash sale, end to end', '');
    L.push(
      `${f(s.options.shoppers)} shoppers joined the pre-queue (${f(s.joinsPerSecond)}/s), stock ${f(s.options.stock)}, release ${f(s.options.releaseRate)}/s, buy probability ${s.options.buyProbability}` +
        `${s.options.gateAdmitter === 'dedicated' ? '; the gate ran its admitter in a process of its own (GATE_ADMITTER=dedicated)' : ''}. ` +
        `Admitted ${f(s.admitted)}, buyers ${f(s.buyers)}, accepted ${f(s.accepted)}, refused ${JSON.stringify(s.refused)}. PostgreSQL: ${f(s.confirmed)} confirmed ` +
        `(min(stock, buyers) = ${f(Math.min(s.options.stock, s.buyers))}: ${s.confirmedMatches ? 'matches' : '**does not match**'}), oversold ${s.oversold}, reconcile ${s.reconcileOk ? 'passes' : '**fails**'}. ` +
        (s.rateWindow
          ? `Admission rate: the event has burst ${f(s.rateWindow.burst)}, maxActive ${f(s.rateWindow.maxActive)}, overbook ${s.rateWindow.overbook}, so only the rate binds until the stock budget could; ` +
            `over the steady window, ${s.rateWindow.ticks} consecutive admitter ticks that each emptied the bucket (it ended when ${s.rateWindow.endReason}; the first tick's batch is the bucket's initial content and is not counted; ticks timed on the bucket's clock) ` +
            `${f(s.rateWindow.admitted)} shoppers were admitted in ${s.rateWindow.seconds} s against rate × time = ${f(s.rateWindow.expected, '', 1)}: ${f(s.rateWindow.achievedRate, '/s', 1)}, error ${f(s.rateWindow.errorPct, '%', 2)}. `
          : 'Admission rate: too few rate-bound ticks to measure. ') +
        `(First to last admission before the sell-out, every limit included: ${f(s.spanReleaseRate, '/s', 1)}.) FIFO inversions ${s.fifoInversions}, ` +
        `wait-estimate error mean ${f(s.eta.meanPct, '%', 1)} / median ${f(s.eta.medianPct, '%', 1)} over ${s.eta.n} shoppers, sold out ${s.timeToSellOutS === null ? 'not reached' : `${s.timeToSellOutS} s after the start`}. ` +
        `Checkout latency seen by shoppers p50 ${f(s.checkoutLatency.p50, ' ms', 1)}, p99 ${f(s.checkoutLatency.p99, ' ms', 1)}.`,
      '',
    );
  }
  if (d.redis) L.push(`Redis ceiling: redis-benchmark EVALSHA ${d.redis.script}, ${d.redis.clients} clients, pipeline ${d.redis.pipeline}: ${f(d.redis.opsPerSecond)}/s, p99 ${d.redis.p99Ms} ms.`, '');
  if (Object.keys(r.errors).length) {
    L.push('## Phases that failed', '');
    for (const [k, v] of Object.entries(r.errors)) L.push(`- ${k}: ${v.slice(0, 400)}`);
    L.push('');
  }
  L.push(...bounds(r), '');
  L.push('## Charts', '');
  for (const c of charts) L.push(`![${c}](${c})`, '');
  return L.join('\n');
}

/** "What bounds the misses": statements computed from the run's own figures. */
function bounds(r: BenchResult): string[] {
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
function cpuTable(r: BenchResult): string[] {
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
