// Gate hold run: N shoppers join an open event whose release is stopped (queueAll), so every
// socket stays waiting and receives every tick. Measures join rate and latency, gate RSS per
// held connection (slope between half and all held, settled readings), and per-tick broadcast
// delay while all sockets are held.
import { eventKeys, wsPath } from '@sluice/shared';
import { round } from '../lib/hist.ts';
import { acceptQueues, listenOverflows } from '../lib/netstat.ts';
import { cpuSeconds, sleep } from '../lib/proc.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import type { Stores } from '../lib/stores.ts';
import { joinNetOfFrames } from '../report/join-net.ts';
import type { SwarmResult } from '../swarm/run.ts';
import { holdInTwoSteps, type TwoStepHold } from '../swarm/two-step.ts';
import { openHoldEvent } from './bench-event.ts';
import { BENCH_ORIGIN, type GateCluster } from './launch.ts';

export interface GateHoldResult {
  requested: number;
  held: number;
  gateWorkers: number;
  swarmWorkers: number;
  arrivalRatePerS: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Slope of the gate workers' settled RSS between half and all sockets held. */
  bytesPerConnection: number;
  memory: TwoStepHold;
  holdSeconds: number;
  swarm: SwarmResult;
  /**
   * Over the two join windows only: CPU of every gate worker and of Redis per join (µs). The gate
   * figure leaves out the state frames its ticks sent meanwhile to the sockets already held
   * (frames received in the windows × `frameGateCpuUs`); `joinGateCpuUsWithFrames` keeps them.
   */
  joinGateCpuUs: number | null;
  joinGateCpuUsWithFrames: number | null;
  /** State frames the held sockets received during the join windows. */
  framesDuringJoins: number;
  joinRedisCpuUs: number | null;
  /** Kernel accept-queue overflows (TcpExt ListenOverflows) during the join windows, machine-wide. */
  listenOverflows: number | null;
  /**
   * The gate's own accept queues, sampled every 100 ms during the join windows: the fullest any
   * listener was, and the samples in which one was at uWS's backlog (512: dropping connections).
   */
  acceptQueue: { peak: number; fullSamples: number; samples: number };
  /** While every socket is held and only state frames flow: gate CPU per frame delivered (µs). */
  frameGateCpuUs: number | null;
  /**
   * Tick to socket while every socket is held (hold window only, no forced GC in it): state
   * frame's `now` → receipt, ms, over the window's ticks that reached ≥ 99 % of the sockets once
   * the swarm had up to `drainS` seconds after the window to read them; `ticksShort` did not.
   */
  tickToSocket: {
    p50: number;
    p99: number;
    max: number;
    deliveries: number;
    ticks: number;
    ticksShort?: number;
    drainS?: number;
  };
  /** GATE_TICK_MS of the gate (the tick the admitter aims at). */
  tickMs?: number;
  /** The dedicated admitter's process (GATE_ADMITTER=dedicated): not in the gate CPU figures, which count the socket workers. */
  admitter?: 'dedicated' | 'every';
  /** Handshakes retried with a new socket, and shoppers held only thanks to a retry. */
  retries?: number;
  joinedAfterRetry?: number;
  /** A half fell short (partial figures: see TwoStepHold.shortfall). */
  shortfall?: string | null;
  /**
   * The gate's memory per held socket split by V8's own figures after a full GC (slope over the
   * second half, B per socket): live JS heap, the heap's physical pages, external memory (Buffers),
   * V8 global handles (uWS keeps one per socket), and the rest of the RSS (uWS/uSockets, malloc).
   */
  split: { heapUsed: number; heapPhysical: number; external: number; globalHandles: number; nonHeapRss: number } | null;
  framesDelivered: number;
  /** Seconds the join windows took, and the joins that happened in them. */
  joinWindowS: number;
  joins: number;
}

/** Longest wait after the hold window for its last ticks to reach every socket. */
const DRAIN_S = 30;

export async function runGateHold(
  s: Stores,
  gate: GateCluster,
  o: {
    evt: string;
    total: number;
    ratePerS: number;
    holdSeconds: number;
    joinTimeoutMs: number;
    settleMaxMs?: number;
    maxGcRounds?: number;
    /** Sockets per swarm source address (see SwarmOptions). */
    socketsPerAddress?: number;
    /** Swarm processes per half (default: one per 16,000 sockets). */
    swarmWorkers?: number;
    /** Attempts per shopper before it counts as failed, and the stall limit of one attempt (ms). */
    maxAttempts?: number;
    attemptTimeoutMs?: number;
    /** Handshakes in flight at most (see SwarmOptions.maxPending). */
    maxPending?: number;
    /** GATE_TICK_MS the gate was started with (reported). */
    tickMs?: number;
  },
): Promise<GateHoldResult> {
  await openHoldEvent(s, o.evt, 'hold bench');
  const k = eventKeys(s.prefix, o.evt);
  const gateCpu = () => gate.workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const acc = { gate: 0, redis: 0, overflows: 0, overflowsKnown: true };
  let mark = { gate: 0, redis: 0, overflows: 0 as number | null };
  const windows: [number, number][] = [];
  const acceptQueue = { peak: 0, fullSamples: 0, samples: 0 };
  let sampler: NodeJS.Timeout | undefined;
  const onJoinWindow = async (edge: 'start' | 'end') => {
    clearInterval(sampler);
    if (edge === 'start')
      sampler = setInterval(() => {
        const q = acceptQueues(gate.port);
        acceptQueue.samples++;
        acceptQueue.peak = Math.max(acceptQueue.peak, ...q);
        if (q.some((n) => n >= 512)) acceptQueue.fullSamples++;
      }, 100);
    const now = { gate: gateCpu(), redis: await redisCpuSeconds(s.redis), overflows: listenOverflows() };
    if (edge === 'start') windows.push([Date.now(), Number.POSITIVE_INFINITY]);
    else windows.at(-1)![1] = Date.now();
    if (edge === 'end') {
      acc.gate += now.gate - mark.gate;
      acc.redis += now.redis - mark.redis;
      if (now.overflows === null || mark.overflows === null) acc.overflowsKnown = false;
      else acc.overflows += now.overflows - mark.overflows;
    }
    mark = now;
  };
  const held = await holdInTwoSteps(
    {
      onJoinWindow,
      targets: [{ host: '127.0.0.1', port: gate.port, path: wsPath(o.evt) }],
      total: o.total,
      ratePerS: o.ratePerS,
      origin: BENCH_ORIGIN,
      joinTimeoutMs: o.joinTimeoutMs,
      settleMaxMs: o.settleMaxMs,
      maxGcRounds: o.maxGcRounds,
      socketsPerAddress: o.socketsPerAddress,
      workers: o.swarmWorkers,
      maxAttempts: o.maxAttempts,
      attemptTimeoutMs: o.attemptTimeoutMs,
      maxPending: o.maxPending,
    },
    () => gate.workerPids,
    async () => {
      await gate.gc();
    },
    async () => {
      const h = await gate.gc();
      return { rss: gate.workersRss(), ...(h ?? {}) };
    },
  );
  try {
    // Frames only: every socket is held and waiting; each tick sends one state frame to each.
    const ticks0 = Number((await s.redis.hget(k.stats, 'tick')) ?? 0);
    const cpu0 = gateCpu();
    const holdFrom = Date.now();
    await sleep(o.holdSeconds * 1000);
    const holdTo = Date.now();
    const frameCpu = gateCpu() - cpu0;
    const ticks = Number((await s.redis.hget(k.stats, 'tick')) ?? 0) - ticks0;
    // Ticks stamped near the window's end may still be on their way (a fan-out to 100,000 sockets
    // takes seconds here): give them up to DRAIN_S to arrive rather than leave the slowest out.
    const drainFrom = Date.now();
    let rep = await held.report(holdFrom, holdTo);
    while (rep.ticksShort > 0 && Date.now() - drainFrom < DRAIN_S * 1000) {
      await sleep(2000);
      rep = await held.report(holdFrom, holdTo);
    }
    const drainS = round((Date.now() - drainFrom) / 1000);
    const holding = rep.joined - rep.closedByServer;
    const framesDelivered = ticks * holding;
    const frameGateCpuUs = usPerOp(frameCpu, framesDelivered);
    // Frames stamped (`now`, the admitter's clock) inside a join window, as the swarm received them.
    const framesDuringJoins = rep.ticks
      .filter((t) => windows.some(([a, b]) => t.now >= a && t.now <= b))
      .reduce((sum, t) => sum + t.n, 0);
    const m = held.memory;
    const [, half, full] = m.probes ?? [];
    const per = (key: string) => (half && full && m.joinedSecondHalf > 0 ? Math.round(((full[key] ?? 0) - (half[key] ?? 0)) / m.joinedSecondHalf) : 0);
    const split = half?.heapUsedBytes !== undefined
      ? {
          heapUsed: per('heapUsedBytes'),
          heapPhysical: per('heapPhysicalBytes'),
          external: per('externalBytes'),
          globalHandles: per('globalHandlesBytes'),
          // The settled RSS readings, less the V8 heap pages.
          nonHeapRss: Math.round((m.rssFullBytes - m.rssHalfBytes) / m.joinedSecondHalf) - per('heapPhysicalBytes'),
        }
      : null;
    return {
      tickToSocket: {
        p50: rep.broadcast.p50,
        p99: rep.broadcast.p99,
        max: rep.broadcast.max,
        deliveries: rep.broadcast.count,
        ticks: rep.ticks.filter((t) => t.now >= holdFrom && t.now <= holdTo).length,
        ticksShort: rep.ticksShort,
        drainS,
      },
      admitter: gate.admitterPid === null ? 'every' : 'dedicated',
      tickMs: o.tickMs,
      retries: rep.retries,
      joinedAfterRetry: rep.joinedAfterRetry,
      shortfall: m.shortfall,
      split,
      requested: o.total,
      held: rep.joined - rep.closedByServer,
      gateWorkers: gate.workerPids.length,
      swarmWorkers: rep.workers,
      arrivalRatePerS: o.ratePerS,
      rssBeforeBytes: m.rssEmptyBytes,
      rssAfterBytes: m.rssFullBytes,
      bytesPerConnection: m.bytesPerConnection,
      memory: m,
      holdSeconds: round(o.holdSeconds),
      swarm: rep,
      joinGateCpuUs: joinNetOfFrames(acc.gate, framesDuringJoins, frameGateCpuUs, rep.joined),
      joinGateCpuUsWithFrames: usPerOp(acc.gate, rep.joined),
      framesDuringJoins,
      joinRedisCpuUs: usPerOp(acc.redis, rep.joined),
      listenOverflows: acc.overflowsKnown ? acc.overflows : null,
      acceptQueue,
      frameGateCpuUs,
      framesDelivered,
      joinWindowS: rep.joinWindowS,
      joins: rep.joined,
    };
  } finally {
    await held.close();
  }
}
