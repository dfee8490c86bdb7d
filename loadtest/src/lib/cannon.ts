// autocannon over several processes (one Node process cannot saturate uWS), started together
// and merged with autocannon.aggregateResult.
import autocannon from 'autocannon';
import type { CannonJob } from './cannon-worker.ts';
import { round } from './hist.ts';
import { spawnTs } from './proc.ts';

export interface CannonResult {
  processes: number;
  connections: number;
  seconds: number;
  requests: number;
  perSecond: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Tickets used more than once because the run outlasted them (0 in a first-use run). */
  reused: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

export async function runCannon(
  job: Omit<CannonJob, 'ticketsFile'> & { processes: number; ticketsFiles?: string[] },
): Promise<CannonResult> {
  const n = job.ticketsFiles ? job.ticketsFiles.length : job.processes;
  const kids = Array.from({ length: n }, () => spawnTs('lib/cannon-worker.ts'));
  try {
    await Promise.all(kids.map((k) => k.next((m) => m.t === 'ready', 120_000, 'ready message')));
    const t0 = Date.now();
    const outs = await Promise.all(
      kids.map((k, i) => {
        const { processes: _p, ticketsFiles, ...rest } = job;
        k.send({
          ...rest,
          connections: Math.max(1, Math.round(job.connections / n)),
          ...(job.overallRate ? { overallRate: job.overallRate / n } : {}),
          ...(ticketsFiles ? { ticketsFile: ticketsFiles[i] } : {}),
        } satisfies CannonJob);
        return k.next<{ t: string; result: unknown; reused: number; message?: string }>(
          (m) => m.t === 'done' || m.t === 'error',
          (job.maxSeconds + 60) * 1000,
        );
      }),
    );
    const wall = (Date.now() - t0) / 1000;
    const failed = outs.find((o) => o.t === 'error');
    if (failed) throw new Error(`autocannon: ${failed.message}`);
    // aggregateResult exists since autocannon 7.4 but is missing from @types/autocannon.
    const aggregate = (autocannon as unknown as { aggregateResult: (r: unknown[], o: object) => autocannon.Result })
      .aggregateResult;
    const agg = aggregate(
      outs.map((o) => o.result),
      { url: job.url, connections: job.connections },
    ) as autocannon.Result & { statusCodeStats: Record<string, { count: number }> };
    const durations = outs.map((o) => (o.result as { duration: number }).duration);
    const seconds = Math.max(...durations, 0.001);
    const requests = Object.values(agg.statusCodeStats).reduce((s, c) => s + (c.count ?? 0), 0);
    const statusCodes: Record<string, number> = {};
    for (const [code, c] of Object.entries(agg.statusCodeStats)) statusCodes[code] = c.count ?? 0;
    return {
      processes: n,
      connections: job.connections,
      seconds: round(Math.min(seconds, wall), 2),
      requests,
      perSecond: Math.round(requests / seconds),
      statusCodes,
      errors: agg.errors,
      timeouts: agg.timeouts,
      reused: outs.reduce((s, o) => s + (o.reused ?? 0), 0),
      latencyMs: {
        p50: agg.latency.p50,
        p90: agg.latency.p90,
        p99: agg.latency.p99,
        p999: agg.latency.p99_9,
        max: agg.latency.max,
        mean: agg.latency.average,
      },
    };
  } finally {
    await Promise.all(kids.map((k) => k.stop()));
  }
}
