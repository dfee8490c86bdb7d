// The README's load-test figures, rendered from loadtest/results/latest.json (written by
// `npm run bench`), so the README shows only what a run measured.
import { existsSync, readFileSync } from 'node:fs';

type Latest = Record<string, unknown> & {
  profile?: string;
  startedAt?: string;
  machine?: { cores?: number; cpuModel?: string; memoryGiB?: number; node?: string; loadAvgAtStart?: number[] };
};

const ROWS: Array<[key: string, label: string, unit: string, target: string]> = [
  ['heldConnections', 'WebSockets held by the gate', '', '≥ 100,000'],
  ['gateBytesPerConnection', 'gate memory per connection', ' B', '≤ 2 KB'],
  ['baselineWsBytesPerConnection', '`ws` memory per connection (baseline)', ' B', ''],
  ['joinsPerSecond', 'joins per second', '/s', '≥ 20,000/s'],
  ['joinP99Ms', 'join latency p99', ' ms', ''],
  ['broadcastP99Ms', 'tick → every waiting socket, p99', ' ms', '≤ 500 ms'],
  ['checkoutPerSecond', 'first-use checkouts per second', '/s', '≥ 10,000/s'],
  ['verifyCeilingPerSecond', 'bare Ed25519 verify ceiling (same processes)', '/s', ''],
  ['baselineCheckoutPerSecond', 'conventional checkout (Express + jsonwebtoken + ioredis)', '/s', ''],
  ['checkoutP99Ms', 'checkout p99 at half rate (CO-corrected)', ' ms', '≤ 10 ms'],
  ['rejectsPerSecond', 'junk tickets rejected per second', '/s', '≥ 50,000/s'],
  ['baselineRejectsPerSecond', 'junk tickets rejected, conventional', '/s', ''],
  ['ordersPerSecond', 'orders persisted per second', '/s', '≥ 10,000/s'],
  ['checkoutCpuUs', 'CPU per first-use checkout (checkout processes)', ' µs', '≤ 1.5 × verify'],
  ['verifyCpuUs', 'CPU per bare Ed25519 verify (same run)', ' µs', ''],
  ['checkoutRedisCpuUs', 'Redis CPU per first-use checkout', ' µs', ''],
  ['rejectCpuUs', 'CPU per junk rejection (checkout processes)', ' µs', '≤ 0.1 × verify'],
  ['baselineCheckoutCpuUs', 'CPU per first-use checkout, conventional', ' µs', '≥ 3 × Sluice'],
  ['baselineRejectCpuUs', 'CPU per junk rejection, conventional', ' µs', '≥ 20 × Sluice'],
  ['orderWorkerCpuUs', 'order worker CPU per order persisted', ' µs', ''],
  ['orderRedisCpuUs', 'Redis CPU per order persisted', ' µs', ''],
  ['orderPgCpuUs', 'PostgreSQL CPU per order persisted', ' µs', ''],
  ['admissionErrorPct', 'admission-rate error (bucket clock)', ' %', '≤ 1%'],
  ['tickLateP50Ms', 'admitter release lateness p50 (flash sale)', ' ms', ''],
  ['tickLateP99Ms', 'admitter release lateness p99 (flash sale)', ' ms', ''],
  ['fifoInversions', 'FIFO inversions after the shuffle', '', '0'],
  ['oversold', 'units oversold', '', '0'],
  ['etaErrorPct', 'wait-estimate error', ' %', ''],
];

const fmt = (v: unknown, unit: string): string =>
  typeof v === 'number' ? `${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}${unit}` : 'not measured';
/** The run's flag that one of a memory figure's three readings came out ≤ 0. */
function memoryFailed(r: Latest, key: string): boolean {
  const b = r.baselineMemoryReadingFailed as { ws?: boolean | null; uws?: boolean | null } | undefined;
  if (key === 'gateBytesPerConnection') return r.gateMemoryReadingFailed === true;
  if (key === 'baselineWsBytesPerConnection') return b?.ws === true;
  if (key === 'baselineUwsBytesPerConnection') return b?.uws === true;
  return false;
}
/** Memory per connection from RSS readings: a reading at or below zero is a failed measurement. */
const fmtFigure = (r: Latest, key: string, v: unknown, unit: string): string =>
  key.endsWith('BytesPerConnection') && typeof v === 'number' && (v <= 0 || memoryFailed(r, key))
    ? `failed measurement (${fmt(v, unit)} read${v > 0 ? ', a reading ≤ 0' : ''})`
    : fmt(v, unit);

export function benchSummary(path = new URL('../loadtest/results/latest.json', import.meta.url)): string {
  if (!existsSync(path)) return '_No benchmark run is committed yet: run `npm run bench`._';
  const r = JSON.parse(readFileSync(path, 'utf8')) as Latest;
  const m = r.machine ?? {};
  const lines = [
    `Latest run (\`${r.profile ?? '?'}\` profile, ${r.startedAt ?? '?'}) on ${m.cores ?? '?'} cores (${m.cpuModel ?? '?'}), ` +
      `${m.memoryGiB ?? '?'} GiB, Node ${m.node ?? '?'}; load average at start ${(m.loadAvgAtStart ?? []).join(' / ')}. ` +
      'Load generators share the cores with the servers. Full report: [loadtest/results/REPORT.md](loadtest/results/REPORT.md).',
    '',
    '| figure | measured | target |',
    '|---|---|---|',
  ];
  for (const [key, label, unit, target] of ROWS) lines.push(`| ${label} | ${fmtFigure(r, key, r[key], unit)} | ${target} |`);
  return lines.join('\n');
}
