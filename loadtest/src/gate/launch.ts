// Starts the real gate (gate/src/main.ts: a supervisor forking GATE_WORKERS uWS processes on one
// port) against the bench's stores, and finds its worker processes for memory readings.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids, type Child, pollUntil, REPO_DIR, rssBytes, spawnModule } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';

export const BENCH_ORIGIN = 'http://bench.sluice.test';

export interface GateCluster {
  port: number;
  main: Child;
  /** The socket workers (with GATE_ADMITTER=dedicated the admitter process is not among them). */
  workerPids: number[];
  /** The dedicated admitter process (GATE_ADMITTER=dedicated), or null. */
  admitterPid: number | null;
  /** VmRSS summed over the worker processes (the supervisor holds no sockets). */
  workersRss(): number;
  /**
   * Full GC in every worker, then V8's heap figures summed over them (used heap, its physical
   * size, external memory); null when the cluster was started without `memoryHook`.
   */
  gc(): Promise<HeapFigures | null>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

export interface HeapFigures {
  heapUsedBytes: number;
  heapPhysicalBytes: number;
  externalBytes: number;
  globalHandlesBytes: number;
}

const MEM_HOOK = new URL('./mem-hook.mjs', import.meta.url).pathname;

/** Ask each worker for a GC (SIGPWR, handled by mem-hook.mjs) and read what it wrote. */
async function gcWorkers(dir: string, pids: number[]): Promise<HeapFigures> {
  const t0 = Date.now();
  const read = (pid: number) => {
    try {
      return JSON.parse(readFileSync(join(dir, `mem-${pid}.json`), 'utf8')) as Record<string, number>;
    } catch {
      return null; // not written yet (or half-written): polled again below
    }
  };
  for (const pid of pids) process.kill(pid, 'SIGPWR');
  const got = (await pollUntil(() => {
    const all = pids.map(read);
    return all.every((m) => m !== null && (m.at ?? 0) >= t0) ? all : null;
  }, 180_000, 100)) as Record<string, number>[];
  const sum = (k: string) => got.reduce((a, m) => a + (m[k] ?? 0), 0);
  return {
    heapUsedBytes: sum('used_heap_size'),
    heapPhysicalBytes: sum('total_physical_size'),
    externalBytes: sum('external_memory'),
    globalHandlesBytes: sum('used_global_handles_size'),
  };
}

/**
 * The gate supervisor's worker processes: its node children. Under tsx the supervisor may also
 * have an `esbuild --service` child (spawned on a transform-cache miss, e.g. after files changed),
 * which holds no sockets and never answers the memory hook: counted as a worker it made the bench
 * wait 180 s for its mem file and fail the phase ("condition not met within 180000 ms").
 */
export function workerChildPids(pid: number): number[] {
  return childPids(pid).filter(isNodeProcess);
}

export function isNodeProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
  } catch {
    return false; // gone
  }
}

/** The supervisor forks the dedicated admitter with GATE_ADMITTER=dedicated in its environment. */
function isDedicatedAdmitter(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('GATE_ADMITTER=dedicated');
  } catch {
    return false; // gone or unreadable: treated as a socket worker
  }
}

/**
 * `admitter`: GATE_ADMITTER ('dedicated': one more process runs only the admitter).
 * `memoryHook`: preload mem-hook.mjs in the workers (GC and heap figures on request).
 */
export async function startGateCluster(
  s: Stores,
  o: { workers: number; tickMs: number; admitter?: 'every' | 'dedicated'; memoryHook?: boolean },
): Promise<GateCluster> {
  const port = await freePort();
  const expected = o.workers + (o.admitter === 'dedicated' ? 1 : 0);
  const memDir = o.memoryHook ? mkdtempSync(join(tmpdir(), 'sluice-gate-mem-')) : null;
  const main = spawnModule(`${REPO_DIR}gate/src/main.ts`, [], {
    env: {
      ...s.env,
      ...(memDir
        ? { SLUICE_MEM_DIR: memDir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${MEM_HOOK} --expose-gc`.trim() }
        : {}),
      GATE_HOST: '127.0.0.1',
      GATE_PORT: String(port),
      GATE_WORKERS: String(o.workers),
      GATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      GATE_TICK_MS: String(o.tickMs),
      GATE_IDLE_TIMEOUT_S: '960',
      GATE_JOIN_RATE_PER_IP: '1000000',
      // The swarm spreads 1,000 sockets over each source address.
      GATE_MAX_PLACES_PER_IP: '1000000',
      GATE_MAX_SOCKETS_PER_IP: '1000000',
      GATE_SERVE_PAGE: 'false',
      GATE_DEV_ORIGINS: BENCH_ORIGIN,
      GATE_ADMITTER: o.admitter ?? 'every',
    },
  });
  try {
    // Generous: on a loaded 2-core machine tsx start-up of several workers takes a while.
    await pollUntil(async () => {
      if (main.exited() !== null) throw new Error(`gate exited (${main.exited()}): ${main.stderr()}`);
      return workerChildPids(main.pid).length >= expected && (await healthy(port));
    }, 180_000, 250).catch(
      (err: Error) => {
        throw new Error(`gate on port ${port} not ready (${workerChildPids(main.pid).length}/${expected} workers): ${err.message}`);
      },
    );
    // Every worker must be listening before the swarm starts (they share the port).
    await new Promise((r) => setTimeout(r, 1500));
    // With the memory hook: every worker has installed it (written its file) before any signal.
    if (memDir) {
      const pids = workerChildPids(main.pid);
      await pollUntil(() => pids.every((pid) => existsSync(join(memDir, `mem-${pid}.json`))), 180_000, 250);
    }
  } catch (err) {
    await main.stop();
    throw err;
  }
  const all = workerChildPids(main.pid);
  const admitterPid = o.admitter === 'dedicated' ? (all.find(isDedicatedAdmitter) ?? null) : null;
  const workerPids = all.filter((pid) => pid !== admitterPid);
  return {
    port,
    main,
    workerPids,
    admitterPid,
    workersRss: () => workerPids.reduce((sum, p) => sum + rssBytes(p), 0),
    gc: async () => (memDir ? gcWorkers(memDir, workerPids) : null),
    stop: async () => {
      await main.stop(20_000);
      if (memDir) rmSync(memDir, { recursive: true, force: true });
    },
  };
}
