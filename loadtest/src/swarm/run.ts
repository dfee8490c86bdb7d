// Swarm coordinator: spreads N shoppers over worker processes (each under 18,000 sockets) and
// 127.x.y.z source addresses, collects their progress and reports, and merges the figures.
import { Hist, type LatencySummary, round } from '../lib/hist.ts';
import { type Child, pollUntil, spawnTs } from '../lib/proc.ts';
import type { Admission, SwarmTarget, TickSample, WorkerReport } from './types.ts';

export const MAX_SOCKETS_PER_WORKER = 16_000;
const SOCKETS_PER_ADDRESS = 1000;

let addrCounter = 0;
const addrBase = 10 + Math.floor(Math.random() * 230);

/** A fresh loopback source address (127.<base>.y.z), never the same twice in one process. */
export function nextLocalAddress(): string {
  const k = addrCounter++;
  const hi = addrBase + Math.floor(k / 60_000);
  const mid = Math.floor((k % 60_000) / 250);
  const lo = 2 + (k % 250);
  return `127.${hi}.${mid}.${lo}`;
}

export interface SwarmOptions {
  targets: SwarmTarget[];
  total: number;
  /** Overall arrival rate, connections per second. */
  ratePerS: number;
  origin?: string;
  cidPrefix?: string;
  echo?: boolean;
  /** Receive every admission (with its ticket) as it happens. */
  onAdmissions?: (items: Admission[]) => void;
  maxPerWorker?: number;
  workers?: number;
  /** Sockets per source address (default 1,000). The gate's join-guard script walks the live
   * places of the joining address, so against the gate a realistic few per address keep the
   * bench from measuring 1,000 places per address that no real address has. */
  socketsPerAddress?: number;
  /** Attempts per shopper before it counts as failed (worker default 3), and the stall limit of one attempt (ms). */
  maxAttempts?: number;
  attemptTimeoutMs?: number;
  /** Handshakes in flight at most over all workers (split evenly); no limit by default. */
  maxPending?: number;
}

export interface TickDelay {
  tick: number;
  now: number;
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SwarmResult {
  workers: number;
  opened: number;
  joined: number;
  failed: number;
  /** Handshakes retried with a new socket (stalled over 20 s, refused or reset); join latency counts from the first attempt. */
  retries: number;
  /** Shoppers whose welcome came on a retried attempt. */
  joinedAfterRetry: number;
  closedByServer: number;
  errors: Record<string, number>;
  closeCodes: Record<string, number>;
  joinWindowS: number;
  joinsPerSecond: number;
  join: LatencySummary;
  joinCdf: [number, number][];
  /** Deliveries of ticks that reached (nearly) every held socket. */
  broadcast: LatencySummary;
  /** Ticks of the window that reached fewer than 99 % of the held sockets (not in `broadcast`). */
  ticksShort: number;
  broadcastCdf: [number, number][];
  /** Per tick, across sockets: p50/p99/max delay from the frame's timestamp to receipt. */
  ticks: TickDelay[];
  samples: TickSample[];
  echoMsgs: number;
  echoRtt: LatencySummary;
  admittedCount: number;
}

export interface Swarm {
  workers: Child[];
  progress(): { opened: number; joined: number; failed: number };
  waitJoined(n: number, timeoutMs: number): Promise<boolean>;
  report(): Promise<SwarmResult>;
  /** The workers' own reports, unmerged (to merge with another swarm's). */
  workerReports(): Promise<WorkerReport[]>;
  send(msg: unknown): void;
  close(): Promise<void>;
}

export async function startSwarm(o: SwarmOptions): Promise<Swarm> {
  const maxPer = o.maxPerWorker ?? MAX_SOCKETS_PER_WORKER;
  const n = Math.max(o.workers ?? 1, Math.ceil(o.total / maxPer));
  const workers: Child[] = [];
  const prog = new Map<number, { opened: number; joined: number; failed: number }>();
  for (let i = 0; i < n; i++) {
    const w = spawnTs('swarm/worker.ts');
    workers.push(w);
    w.proc.on('message', (m: Record<string, unknown>) => {
      if (m.t === 'progress') prog.set(Number(m.index), m as unknown as { opened: number; joined: number; failed: number });
      else if (m.t === 'admissions') o.onAdmissions?.(m.items as Admission[]);
    });
  }
  await Promise.all(workers.map((w) => w.next((m) => m.t === 'ready', 120_000, 'ready message')));
  workers.forEach((w, i) => {
    const count = Math.floor(o.total / n) + (i < o.total % n ? 1 : 0);
    // One source address per 1,000 sockets. Binding a source address makes the kernel pick the
    // port by bind(addr, 0), which scans for a port not yet used on that address: with 14,000
    // sockets on one address each connect cost milliseconds of system time (measured: ~200
    // connections/s per worker, 90 % of it in the kernel). Sparse addresses keep it O(1), and
    // every (source, destination) pair stays far under the 28,232 ephemeral ports.
    const addrs = Array.from({ length: Math.max(1, Math.ceil(count / (o.socketsPerAddress ?? SOCKETS_PER_ADDRESS))) }, nextLocalAddress);
    w.send({
      t: 'start',
      index: i,
      targets: o.targets,
      count,
      ratePerS: o.ratePerS / n,
      localAddresses: addrs,
      origin: o.origin,
      cidPrefix: o.cidPrefix ?? `s${Date.now().toString(36)}`,
      echo: o.echo ?? false,
      forwardAdmissions: o.onAdmissions !== undefined,
      maxAttempts: o.maxAttempts,
      attemptTimeoutMs: o.attemptTimeoutMs,
      maxPending: o.maxPending === undefined ? undefined : Math.max(1, Math.ceil(o.maxPending / n)),
    });
  });
  const progress = () => {
    let opened = 0;
    let joined = 0;
    let failed = 0;
    for (const p of prog.values()) {
      opened += p.opened;
      joined += p.joined;
      failed += p.failed;
    }
    return { opened, joined, failed };
  };
  const workerReports = () =>
    Promise.all(
      workers.map((w) => {
        w.send({ t: 'report' });
        return w.next<WorkerReport>((m) => m.t === 'report', 180_000, 'report');
      }),
    );
  return {
    workers,
    progress,
    async waitJoined(target, timeoutMs) {
      try {
        await pollUntil(() => {
          const p = progress();
          return p.joined >= target || p.joined + p.failed >= o.total;
        }, timeoutMs, 100);
        return progress().joined >= target;
      } catch {
        return false;
      }
    },
    workerReports,
    async report() {
      return mergeReports(await workerReports());
    },
    send(msg) {
      for (const w of workers) w.send(msg);
    },
    async close() {
      for (const w of workers) w.send({ t: 'close' });
      await Promise.all(workers.map((w) => pollUntil(() => w.proc.exitCode !== null, 10_000).catch(() => w.stop(1000))));
    },
  };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * `ticksFrom` / `ticksTo`: only ticks sent in this window (ms) count in `broadcast` (e.g. a hold
 * window); `ticksShort` counts the window's ticks that reached fewer than 99 % of the sockets.
 */
export function mergeReports(
  reps: WorkerReport[],
  ticksFrom = 0,
  ticksTo = Number.POSITIVE_INFINITY,
): SwarmResult {
  const join = new Hist();
  const echoRtt = new Hist();
  const errors: Record<string, number> = {};
  const closeCodes: Record<string, number> = {};
  const byTick = new Map<number, { now: number; hist: Hist }>();
  let opened = 0;
  let joined = 0;
  let failed = 0;
  let closedByServer = 0;
  let retries = 0;
  let joinedAfterRetry = 0;
  let echoMsgs = 0;
  let admittedCount = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const samples = new Map<number, TickSample>();
  for (const r of reps) {
    opened += r.opened;
    joined += r.joined;
    failed += r.failed;
    closedByServer += r.closedByServer;
    retries += r.retries;
    joinedAfterRetry += r.joinedAfterRetry ?? 0;
    echoMsgs += r.echoMsgs;
    admittedCount += r.admittedCount;
    if (r.firstOpenAt > 0) first = Math.min(first, r.firstOpenAt);
    last = Math.max(last, r.lastWelcomeAt);
    join.merge(r.join);
    echoRtt.merge(r.echoRtt);
    addCounts(errors, r.errors);
    addCounts(closeCodes, r.closeCodes);
    for (const t of r.ticks) {
      const e = byTick.get(t.tick) ?? { now: t.now, hist: new Hist() };
      e.hist.merge(t.hist);
      byTick.set(t.tick, e);
    }
    for (const s of r.samples) if (!samples.has(s.tick)) samples.set(s.tick, s);
  }
  const ticks: TickDelay[] = [...byTick.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([tick, e]) => ({
      tick,
      now: e.now,
      n: e.hist.n,
      p50: round(e.hist.quantile(0.5)),
      p99: round(e.hist.quantile(0.99)),
      max: round(e.hist.max),
    }));
  // Only ticks delivered to (nearly) every held socket describe the steady state.
  const full = new Hist();
  let ticksShort = 0;
  for (const [, e] of byTick) {
    if (e.now < ticksFrom || e.now > ticksTo) continue;
    if (joined > 0 && e.hist.n >= joined * 0.99) full.merge(e.hist);
    else ticksShort++;
  }
  const windowS = last > first ? (last - first) / 1000 : 0;
  return {
    workers: reps.length,
    opened,
    joined,
    failed,
    retries,
    joinedAfterRetry,
    closedByServer,
    errors,
    closeCodes,
    joinWindowS: round(windowS),
    joinsPerSecond: windowS > 0 ? Math.round(joined / windowS) : 0,
    join: join.summary(),
    joinCdf: join.cdf(),
    broadcast: full.summary(),
    ticksShort,
    broadcastCdf: full.cdf(),
    ticks,
    samples: [...samples.values()].sort((a, b) => a.tick - b.tick),
    echoMsgs,
    echoRtt: echoRtt.summary(),
    admittedCount,
  };
}
