// Memory per held connection, measured robustly: the server's RSS is read only once it has
// settled (several samples within 0.5 %, their median), summed over its processes, and the
// figure is the slope between two steady states — half the sockets held, then all of them —
// so start-up allocations, JIT and garbage from the first connections do not count, and a GC
// between two readings cannot make the figure negative the way a single before/after did.
import { round } from '../lib/hist.ts';
import { settledRss } from '../lib/proc.ts';
import { mergeReports, startSwarm, type Swarm, type SwarmOptions, type SwarmResult } from './run.ts';

export interface TwoStepHold {
  /** Settled RSS (bytes, summed over the server processes) with none, half and all sockets held. */
  rssEmptyBytes: number;
  rssHalfBytes: number;
  rssFullBytes: number;
  /** Whether each reading settled (false: it kept moving and the median of the last samples is used). */
  settled: [boolean, boolean, boolean];
  joinedFirstHalf: number;
  joinedSecondHalf: number;
  /** (rssFull − rssHalf) / sockets joined in the second half (the median of the readings below). */
  bytesPerConnection: number;
  /**
   * Three settled readings with all sockets held (a few seconds apart), each as
   * (rss − rssHalf) / sockets of the second half, and their spread (max − min). A reading ≤ 0 is a
   * failed measurement (the RSS went down while sockets were added): `failed` says so.
   */
  perConnectionReadings: number[];
  spreadBytes: number;
  failed: boolean;
  /** (rssFull − rssEmpty) / all sockets joined: includes warm-up allocations. */
  bytesPerConnectionFromEmpty: number;
  /** The same readings taken right after a forced full GC, when the servers allow it. */
  afterGc: {
    rssEmptyBytes: number;
    rssHalfBytes: number;
    rssFullBytes: number;
    bytesPerConnection: number;
    bytesPerConnectionFromEmpty: number;
  } | null;
}

export interface HeldSwarm {
  memory: TwoStepHold;
  swarms: Swarm[];
  /** Merged report of both halves; joins per second over the two join windows only. */
  report(): Promise<SwarmResult>;
  close(): Promise<void>;
}

export async function holdInTwoSteps(
  o: SwarmOptions & {
    joinTimeoutMs: number;
    settleMaxMs?: number;
    /** Called right before and right after each join window (CPU and kernel counters). */
    onJoinWindow?: (edge: 'start' | 'end') => void | Promise<void>;
  },
  serverPids: () => number[],
  /** A full GC in the servers: when given, each reading is also taken again after it (the
   * baselines can; the gate has no such hook, so its figures and the headline ratios use the
   * readings without forced GC, the same method for all). */
  forceGc?: () => Promise<void>,
): Promise<HeldSwarm> {
  const half = Math.floor(o.total / 2);
  const rest = o.total - half;
  const swarms: Swarm[] = [];
  const windows: number[] = [];
  const close = async () => {
    await Promise.all(swarms.map((s) => s.close()));
  };
  try {
    const settle = { maxMs: o.settleMaxMs ?? 15_000 };
    const afterGc: number[] = [];
    const reading = async () => {
      const r = await settledRss(serverPids(), settle);
      if (forceGc) {
        await forceGc();
        afterGc.push((await settledRss(serverPids(), settle)).bytes);
      }
      return r;
    };
    const r0 = await reading();
    const join = async (count: number) => {
      await o.onJoinWindow?.('start');
      const s = await startSwarm({ ...o, total: count });
      swarms.push(s);
      await s.waitJoined(count, o.joinTimeoutMs);
      await o.onJoinWindow?.('end');
      const p = s.progress();
      // A few sockets short (given up after retries) still measures; far short is a failed run.
      if (p.joined < count * 0.98) {
        const rep = await s.report().catch(() => null);
        throw new Error(
          `only ${p.joined} of ${count} sockets joined within ${o.joinTimeoutMs} ms (${p.failed} failed; errors ${JSON.stringify(rep?.errors ?? {})}, close codes ${JSON.stringify(rep?.closeCodes ?? {})})`,
        );
      }
      const rep = await s.report();
      windows.push(rep.joinWindowS);
      return rep.joined;
    };
    const joinedA = await join(half);
    const r1 = await reading();
    const joinedB = await join(rest);
    const r2 = await reading();
    // Two more readings a little later: one reading can catch an allocator or GC moment.
    const fulls = [r2.bytes];
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      fulls.push((await settledRss(serverPids(), settle)).bytes);
    }
    const per = fulls.map((b) => (joinedB > 0 ? Math.round((b - r1.bytes) / joinedB) : 0));
    const sorted = [...per].sort((a, b) => a - b);
    const memory: TwoStepHold = {
      rssEmptyBytes: r0.bytes,
      rssHalfBytes: r1.bytes,
      rssFullBytes: r2.bytes,
      settled: [r0.settled, r1.settled, r2.settled],
      joinedFirstHalf: joinedA,
      joinedSecondHalf: joinedB,
      bytesPerConnection: sorted[1]!,
      perConnectionReadings: per,
      spreadBytes: sorted[2]! - sorted[0]!,
      failed: sorted[0]! <= 0,
      bytesPerConnectionFromEmpty:
        joinedA + joinedB > 0 ? Math.round((r2.bytes - r0.bytes) / (joinedA + joinedB)) : 0,
      afterGc:
        afterGc.length === 3 && joinedB > 0
          ? {
              rssEmptyBytes: afterGc[0]!,
              rssHalfBytes: afterGc[1]!,
              rssFullBytes: afterGc[2]!,
              bytesPerConnection: Math.round((afterGc[2]! - afterGc[1]!) / joinedB),
              bytesPerConnectionFromEmpty: Math.round((afterGc[2]! - afterGc[0]!) / (joinedA + joinedB)),
            }
          : null,
    };
    return {
      memory,
      swarms,
      async report() {
        const reps = (await Promise.all(swarms.map((s) => s.workerReports()))).flat();
        const merged = mergeReports(reps);
        const windowS = windows.reduce((a, b) => a + b, 0);
        return {
          ...merged,
          joinWindowS: round(windowS),
          joinsPerSecond: windowS > 0 ? Math.round(merged.joined / windowS) : 0,
        };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
