// Memory per held connection, measured robustly: the server's RSS is read only once it has
// settled (several samples within 0.5 %, their median), summed over its processes, and the
// figure is the slope between two steady states — half the sockets held, then all of them —
// so start-up allocations, JIT and garbage from the first connections do not count, and a GC
// between two readings cannot make the figure negative the way a single before/after did.
// When the servers can run a full GC on request (the baselines, and the gate through the bench's
// preloaded hook), every reading comes after one: what a socket retains, not the garbage its join
// left until V8 next collects (at ~15,000 joins per gate process that garbage alone read
// 100+ MB of old space, several KB per socket, and moved with the GC's timing).
import { round } from '../lib/hist.ts';
import { settledRss } from '../lib/proc.ts';
import { mergeReports, startSwarm, type Swarm, type SwarmOptions, type SwarmResult } from './run.ts';

export interface TwoStepHold {
  /** Settled RSS (bytes, summed over the server processes) with none, half and all sockets held. */
  rssEmptyBytes: number;
  rssHalfBytes: number;
  rssFullBytes: number;
  /** Whether each reading settled (false: it kept moving and the median of the last samples is used). */
  /** Whether the readings above were taken after a forced full GC in every server. */
  forcedGc: boolean;
  /**
   * A half that fell short of its sockets (over 2 % given up after retries, or the join timeout
   * passed): what happened. The readings still describe the sockets that were held (partial
   * figures); the caller reports the phase as failed. Null when both halves joined.
   */
  shortfall: string | null;
  /**
   * GC rounds each reading (empty, half, full) took: after a burst of joins a server's RSS keeps
   * falling over several GCs a few seconds apart (V8 and malloc hand pages back late: `ws` read
   * 249 → 222 → 198 → 198 MiB), so a reading is the first that no longer falls (see untilStable).
   */
  gcRounds?: number[] | null;
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
  /** What the server processes report at the empty, half and full readings (after the GC), e.g. V8 heap. */
  probes: Record<string, number>[] | null;
  /** With forced GC: the readings taken just before each GC (garbage included). */
  withoutGc: {
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
  /** Merged report of both halves; joins per second over the two join windows only; `broadcast`
   * over the ticks sent from `ticksFrom` to `ticksTo` (ms). */
  report(ticksFrom?: number, ticksTo?: number): Promise<SwarmResult>;
  close(): Promise<void>;
}

/**
 * Read `read()` (a full GC then the settled RSS) every `pauseMs` until it stops falling: two
 * rounds in a row each at or above the one before less `tolerance` (0.5 %) end it (one round that
 * holds is not enough: `ws` held once at 304 MB after its joins, then fell to 250 MB). At most
 * `maxRounds` (6); `stable` false when it was still falling then. Returns the last round's bytes.
 */
export async function untilStable(
  read: () => Promise<number>,
  o: { pauseMs: number; maxRounds?: number; tolerance?: number },
): Promise<{ bytes: number; rounds: number; stable: boolean }> {
  const max = o.maxRounds ?? 6;
  const tol = o.tolerance ?? 0.005;
  let prev = await read();
  if (max <= 1) return { bytes: prev, rounds: 1, stable: true };
  let held = 0;
  for (let rounds = 2; rounds <= max; rounds++) {
    await new Promise((r) => setTimeout(r, o.pauseMs));
    const next = await read();
    held = next >= prev * (1 - tol) ? held + 1 : 0;
    prev = next;
    if (held >= 2) return { bytes: next, rounds, stable: true };
  }
  return { bytes: prev, rounds: max, stable: false };
}

export async function holdInTwoSteps(
  o: SwarmOptions & {
    joinTimeoutMs: number;
    settleMaxMs?: number;
    /** GC rounds at most per memory reading (see untilStable; default 6, 1 = a single GC). */
    maxGcRounds?: number;
    /** Called right before and right after each join window (CPU and kernel counters). */
    onJoinWindow?: (edge: 'start' | 'end') => void | Promise<void>;
  },
  serverPids: () => number[],
  /** A full GC in the servers: when given, every reading is taken after one (and a reading
   * before it is kept in `withoutGc`). The gate and both baselines give it, the same method for all. */
  forceGc?: () => Promise<void>,
  /** Figures the servers report about themselves, read after each GC (empty, half, full). */
  probe?: () => Promise<Record<string, number>>,
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
    const beforeGc: number[] = [];
    const probes: Record<string, number>[] = [];
    // Between two GC rounds of one reading, and between the three readings with all held.
    const pauseMs = Math.min(3000, Math.max(200, settle.maxMs / 4));
    const gcRounds: number[] = [];
    const reading = async () => {
      if (!forceGc) return settledRss(serverPids(), settle);
      beforeGc.push((await settledRss(serverPids(), settle)).bytes);
      let settled = true;
      const r = await untilStable(
        async () => {
          await forceGc();
          const x = await settledRss(serverPids(), settle);
          settled &&= x.settled;
          return x.bytes;
        },
        { pauseMs, maxRounds: o.maxGcRounds },
      );
      gcRounds.push(r.rounds);
      if (probe) probes.push(await probe());
      return { bytes: r.bytes, settled: settled && r.stable };
    };
    const r0 = await reading();
    const shortfalls: string[] = [];
    const join = async (count: number) => {
      await o.onJoinWindow?.('start');
      const s = await startSwarm({ ...o, total: count });
      swarms.push(s);
      await s.waitJoined(count, o.joinTimeoutMs);
      await o.onJoinWindow?.('end');
      const p = s.progress();
      // A few sockets short (given up after retries) still measures. Far short is a failed run,
      // but the sockets that did join are still measured (partial figures) unless there are none.
      const rep = await s.report();
      if (p.joined < count * 0.98) {
        const msg = `only ${p.joined} of ${count} sockets joined within ${o.joinTimeoutMs} ms (${p.failed} failed; errors ${JSON.stringify(rep.errors)}, close codes ${JSON.stringify(rep.closeCodes)})`;
        if (p.joined === 0) throw new Error(msg);
        shortfalls.push(msg);
      }
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
      await new Promise((r) => setTimeout(r, pauseMs));
      if (forceGc) await forceGc();
      fulls.push((await settledRss(serverPids(), settle)).bytes);
    }
    const per = fulls.map((b) => (joinedB > 0 ? Math.round((b - r1.bytes) / joinedB) : 0));
    const sorted = [...per].sort((a, b) => a - b);
    const memory: TwoStepHold = {
      rssEmptyBytes: r0.bytes,
      rssHalfBytes: r1.bytes,
      rssFullBytes: r2.bytes,
      settled: [r0.settled, r1.settled, r2.settled],
      forcedGc: forceGc !== undefined,
      gcRounds: forceGc ? gcRounds : null,
      shortfall: shortfalls.length ? shortfalls.join('; ') : null,
      joinedFirstHalf: joinedA,
      joinedSecondHalf: joinedB,
      bytesPerConnection: sorted[1]!,
      perConnectionReadings: per,
      spreadBytes: sorted[2]! - sorted[0]!,
      failed: sorted[0]! <= 0,
      bytesPerConnectionFromEmpty:
        joinedA + joinedB > 0 ? Math.round((r2.bytes - r0.bytes) / (joinedA + joinedB)) : 0,
      probes: probes.length === 3 ? probes : null,
      withoutGc:
        beforeGc.length === 3 && joinedB > 0
          ? {
              rssEmptyBytes: beforeGc[0]!,
              rssHalfBytes: beforeGc[1]!,
              rssFullBytes: beforeGc[2]!,
              bytesPerConnection: Math.round((beforeGc[2]! - beforeGc[1]!) / joinedB),
              bytesPerConnectionFromEmpty: Math.round((beforeGc[2]! - beforeGc[0]!) / (joinedA + joinedB)),
            }
          : null,
    };
    return {
      memory,
      swarms,
      async report(ticksFrom = 0, ticksTo = Number.POSITIVE_INFINITY) {
        const reps = (await Promise.all(swarms.map((s) => s.workerReports()))).flat();
        const merged = mergeReports(reps, ticksFrom, ticksTo);
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
