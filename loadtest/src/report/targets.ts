// The targets for a 2-core machine, checked against a run's headline figures.
import { joinReadingFailed } from './join-net.ts';
import type { Headline } from './types.ts';

export interface TargetCheck {
  what: string;
  target: string;
  measured: string;
  met: boolean | null;
  /** How far off, when missed. */
  gap: string;
}

type Rule = {
  what: string;
  target: string;
  get: (h: Headline) => number | null;
  ok: (v: number) => boolean;
  fmt: (v: number) => string;
  gap: (v: number) => string;
  /** The floor measured in the same run, shown beside the figure (same unit as `fmt`). */
  floor?: (h: Headline) => number | null | undefined;
  /** The reading is no measurement (e.g. a CPU figure ≤ 0): shown as failed, never as a figure. */
  failed?: (v: number) => boolean;
};

const pct = (v: number, t: number) => `${Math.round((v / t) * 100)}% of target`;
const r0 = (v: number) => String(Math.round(v));

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);

export const RULES: Rule[] = [
  { what: 'held connections', target: '≥ 100,000', get: (h) => h.heldConnections, ok: (v) => v >= 100_000, fmt: r0, gap: (v) => pct(v, 100_000) },
  { what: 'gate memory per connection', target: '≤ 2 KB', get: (h) => (h.gateMemoryReadingFailed ? null : h.gateBytesPerConnection), ok: (v) => v <= 2048, fmt: (v) => `${(v / 1024).toFixed(2)} KB`, gap: (v) => `${((v - 2048) / 1024).toFixed(2)} KB over` },
  { what: 'joins per second', target: '≥ 20,000/s', get: (h) => h.joinsPerSecond, ok: (v) => v >= 20_000, fmt: r0, gap: (v) => pct(v, 20_000) },
  { what: 'tick to every socket, p99', target: '≤ 500 ms (at 100k)', get: (h) => (h.heldConnections !== null && h.heldConnections >= 100_000 ? (h.tickToSocketP99Ms ?? h.broadcastP99Ms) : null), ok: (v) => v <= 500, fmt: (v) => `${r0(v)} ms`, gap: (v) => `${r0(v - 500)} ms over` },
  { what: 'first-use checkouts per second', target: '≥ 10,000/s', get: (h) => h.checkoutPerSecond, ok: (v) => v >= 10_000, fmt: r0, gap: (v) => pct(v, 10_000) },
  { what: 'checkout / bare verify ceiling', target: '≥ 60%', get: (h) => ratio(h.checkoutPerSecond, h.verifyCeilingPerSecond), ok: (v) => v >= 0.6, fmt: (v) => `${Math.round(v * 100)}%`, gap: (v) => `${Math.round((0.6 - v) * 100)} points under` },
  { what: 'checkout p99 at half rate (corrected)', target: '≤ 10 ms', get: (h) => h.checkoutP99Ms, ok: (v) => v <= 10, fmt: (v) => `${v.toFixed(1)} ms`, gap: (v) => `${(v - 10).toFixed(1)} ms over` },
  { what: 'junk tickets rejected per second', target: '≥ 50,000/s', get: (h) => h.rejectsPerSecond, ok: (v) => v >= 50_000, fmt: r0, gap: (v) => pct(v, 50_000) },
  { what: 'orders persisted per second', target: '≥ 10,000/s', get: (h) => h.ordersPerSecond, ok: (v) => v >= 10_000, fmt: r0, gap: (v) => pct(v, 10_000) },
  { what: 'admission-rate error', target: '≤ 1%', get: (h) => h.admissionErrorPct, ok: (v) => v <= 1, fmt: (v) => `${v.toFixed(2)}%`, gap: (v) => `${(v - 1).toFixed(2)} points over` },
  { what: 'FIFO inversions', target: '0', get: (h) => h.fifoInversions, ok: (v) => v === 0, fmt: r0, gap: r0 },
  { what: 'oversold units', target: '0', get: (h) => h.oversold, ok: (v) => v === 0, fmt: r0, gap: r0 },
  { what: 'first-use checkout vs conventional', target: '≥ 2×', get: (h) => ratio(h.checkoutPerSecond, h.baselineCheckoutPerSecond), ok: (v) => v >= 2, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(2 - v).toFixed(2)}× short` },
  { what: 'junk rejection vs conventional', target: '≥ 5×', get: (h) => ratio(h.rejectsPerSecond, h.baselineRejectsPerSecond), ok: (v) => v >= 5, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(5 - v).toFixed(2)}× short` },
  // Cost per operation (issue 14): CPU from /proc and Redis INFO over each phase.
  { what: 'first-use checkout CPU / bare Ed25519 verify CPU', target: '≤ 1.5×', get: (h) => ratio(h.checkoutCpuUs, h.verifyCpuUs), ok: (v) => v <= 1.5, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(v - 1.5).toFixed(2)}× over` },
  { what: 'junk rejection CPU / bare Ed25519 verify CPU', target: '≤ 0.10×', get: (h) => ratio(h.rejectCpuUs, h.verifyCpuUs), ok: (v) => v <= 0.1, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(v / 0.1).toFixed(1)}× the allowance` },
  { what: 'CPU per first-use checkout, conventional / Sluice', target: '≥ 3×', get: (h) => ratio(h.baselineCheckoutCpuUs, h.checkoutCpuUs), ok: (v) => v >= 3, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(3 - v).toFixed(2)}× short` },
  { what: 'CPU per junk rejection, conventional / Sluice', target: '≥ 20×', get: (h) => ratio(h.baselineRejectCpuUs, h.rejectCpuUs), ok: (v) => v >= 20, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(20 - v).toFixed(2)}× short` },
  // What a shopper costs (issue 11).
  { what: 'gate CPU per join', target: '≤ 50 µs', get: (h) => h.joinGateCpuUs, ok: (v) => v <= 50, fmt: (v) => `${v.toFixed(1)} µs`, gap: (v) => `${(v - 50).toFixed(1)} µs over`, floor: (h) => h.joinFloorCpuUs, failed: joinReadingFailed },
  { what: 'Redis CPU per join', target: '≤ 20 µs', get: (h) => h.joinRedisCpuUs, ok: (v) => v <= 20, fmt: (v) => `${v.toFixed(1)} µs`, gap: (v) => `${(v - 20).toFixed(1)} µs over` },
  // The same targets for the HTTP join on keep-alive connections (no TCP accept, no upgrade).
  { what: 'gate CPU per HTTP join (keep-alive)', target: '≤ 50 µs', get: (h) => h.joinHttpGateCpuUs ?? null, ok: (v) => v <= 50, fmt: (v) => `${v.toFixed(1)} µs`, gap: (v) => `${(v - 50).toFixed(1)} µs over`, floor: (h) => h.joinHttpFloorCpuUs },
  { what: 'Redis CPU per HTTP join', target: '≤ 20 µs', get: (h) => h.joinHttpRedisCpuUs ?? null, ok: (v) => v <= 20, fmt: (v) => `${v.toFixed(1)} µs`, gap: (v) => `${(v - 20).toFixed(1)} µs over` },
  { what: 'gate CPU per state frame / raw uWS publish', target: '≤ 1.5×', get: (h) => ratio(h.frameGateCpuUs, h.frameFloorCpuUs), ok: (v) => v <= 1.5, fmt: (v) => `${v.toFixed(2)}×`, gap: (v) => `${(v - 1.5).toFixed(2)}× over` },
  { what: 'listen-queue overflows during the joins', target: '0', get: (h) => h.listenOverflows, ok: (v) => v === 0, fmt: r0, gap: r0 },
  { what: 'gate memory per held socket (issue 11)', target: '≤ 1.5 KB', get: (h) => (h.gateMemoryReadingFailed ? null : h.gateBytesPerConnection), ok: (v) => v <= 1536, fmt: (v) => `${(v / 1024).toFixed(2)} KB`, gap: (v) => `${((v - 1536) / 1024).toFixed(2)} KB over` },
  { what: 'pre-queue open after the start', target: '≤ 15 s (1,000,000)', get: (h) => (h.prequeueMembers === 1_000_000 ? h.prequeueOpenS : null), ok: (v) => v <= 15, fmt: (v) => `${v.toFixed(1)} s`, gap: (v) => `${(v - 15).toFixed(1)} s over` },
  { what: 'memory per connection vs ws', target: '≤ 1/3', get: (h) => (h.gateMemoryReadingFailed || h.baselineMemoryReadingFailed?.ws ? null : ratio(h.gateBytesPerConnection, h.baselineWsBytesPerConnection)), ok: (v) => v <= 1 / 3, fmt: (v) => `${v.toFixed(2)}`, gap: (v) => `${(v - 1 / 3).toFixed(2)} over` },
];

export function checkTargets(h: Headline): TargetCheck[] {
  return RULES.map((r) => {
    const v = r.get(h);
    if (v === null || !Number.isFinite(v)) return { what: r.what, target: r.target, measured: 'not measured', met: null, gap: '' };
    if (r.failed?.(v)) return { what: r.what, target: r.target, measured: `failed measurement (${r.fmt(v)} read)`, met: null, gap: '' };
    const met = r.ok(v);
    const floor = r.floor?.(h);
    const beside = floor === undefined ? '' : ` (floor ${floor === null || !Number.isFinite(floor) ? 'not measured' : r.fmt(floor)})`;
    return { what: r.what, target: r.target, measured: r.fmt(v) + beside, met, gap: met ? '' : r.gap(v) };
  });
}
