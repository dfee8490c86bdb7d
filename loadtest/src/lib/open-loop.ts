// Fixed-rate load over several processes; merges their histograms.
import { Hist, type HistJson, type LatencySummary } from './hist.ts';
import type { OpenLoopJob } from './open-loop-worker.ts';
import { spawnTs } from './proc.ts';

export interface OpenLoopResult {
  ratePerS: number;
  seconds: number;
  processes: number;
  connections: number;
  scheduled: number;
  completed: number;
  achievedPerSecond: number;
  errors: number;
  reused: number;
  statusCodes: Record<string, number>;
  /** Latency from the due time (coordinated-omission corrected). */
  corrected: LatencySummary;
  correctedCdf: [number, number][];
  /** Latency from the actual send (what a closed-loop tool would report). */
  uncorrected: LatencySummary;
}

export async function runOpenLoop(
  job: Omit<OpenLoopJob, 'ticketsFile'> & { processes: number; ticketsFiles?: string[] },
): Promise<OpenLoopResult> {
  const n = job.ticketsFiles ? job.ticketsFiles.length : job.processes;
  const kids = Array.from({ length: n }, () => spawnTs('lib/open-loop-worker.ts'));
  try {
    await Promise.all(kids.map((k) => k.next((m) => m.t === 'ready', 120_000, 'ready message')));
    const outs = await Promise.all(
      kids.map((k, i) => {
        const { processes: _p, ticketsFiles, ...rest } = job;
        k.send({
          ...rest,
          ratePerS: job.ratePerS / n,
          connections: Math.max(1, Math.round(job.connections / n)),
          ...(ticketsFiles ? { ticketsFile: ticketsFiles[i] } : {}),
        } satisfies OpenLoopJob);
        type Out = {
          scheduled: number;
          done: number;
          errors: number;
          reused: number;
          seconds: number;
          status: Record<string, number>;
          corrected: HistJson;
          uncorrected: HistJson;
        };
        return k.next<Out>((m) => m.t === 'done', (job.seconds + 60) * 1000);
      }),
    );
    const corrected = new Hist();
    const uncorrected = new Hist();
    const statusCodes: Record<string, number> = {};
    for (const o of outs) {
      corrected.merge(o.corrected);
      uncorrected.merge(o.uncorrected);
      for (const [k, v] of Object.entries(o.status)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
    }
    const completed = outs.reduce((s, o) => s + o.done, 0);
    const seconds = Math.max(...outs.map((o) => o.seconds));
    return {
      ratePerS: job.ratePerS,
      seconds: Math.round(seconds * 100) / 100,
      processes: n,
      connections: job.connections,
      scheduled: outs.reduce((s, o) => s + o.scheduled, 0),
      completed,
      achievedPerSecond: Math.round(completed / seconds),
      errors: outs.reduce((s, o) => s + o.errors, 0),
      reused: outs.reduce((s, o) => s + o.reused, 0),
      statusCodes,
      corrected: corrected.summary(),
      correctedCdf: corrected.cdf(),
      uncorrected: uncorrected.summary(),
    };
  } finally {
    await Promise.all(kids.map((k) => k.stop()));
  }
}
