// The run's SVG charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart, lineChart, type Series } from './svg.ts';
import type { BenchResult } from './types.ts';

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
