// Writes a run's Markdown report (the charts: charts.ts; cost table and bounds: misses.ts).
import { f, x } from './fmt.ts';
import { gateHoldNotes, memCell, memoryMethod } from './hold-notes.ts';
import { joinCostSection } from './join-cost.ts';
import { joinReadingFailed } from './join-net.ts';
import { bounds, cpuTable } from './misses.ts';
import { checkTargets } from './targets.ts';
import type { BenchResult } from './types.ts';

export { writeCharts } from './charts.ts';

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
