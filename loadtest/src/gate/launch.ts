// Starts the real gate (gate/src/main.ts: a supervisor forking GATE_WORKERS uWS processes on one
// port) against the bench's stores, and finds its worker processes for memory readings.
import net from 'node:net';
import { childPids, type Child, pollUntil, REPO_DIR, rssBytes, spawnModule } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';

export const BENCH_ORIGIN = 'http://bench.sluice.test';

export interface GateCluster {
  port: number;
  main: Child;
  workerPids: number[];
  /** VmRSS summed over the worker processes (the supervisor holds no sockets). */
  workersRss(): number;
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

/** `admitter`: GATE_ADMITTER ('dedicated': one more process runs only the admitter). */
export async function startGateCluster(
  s: Stores,
  o: { workers: number; tickMs: number; admitter?: 'every' | 'dedicated' },
): Promise<GateCluster> {
  const port = await freePort();
  const expected = o.workers + (o.admitter === 'dedicated' ? 1 : 0);
  const main = spawnModule(`${REPO_DIR}gate/src/main.ts`, [], {
    env: {
      ...s.env,
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
      return childPids(main.pid).length >= expected && (await healthy(port));
    }, 180_000, 250).catch(
      (err: Error) => {
        throw new Error(`gate on port ${port} not ready (${childPids(main.pid).length}/${expected} workers): ${err.message}`);
      },
    );
    // Every worker must be listening before the swarm starts (they share the port).
    await new Promise((r) => setTimeout(r, 1500));
  } catch (err) {
    await main.stop();
    throw err;
  }
  const workerPids = childPids(main.pid);
  return {
    port,
    main,
    workerPids,
    workersRss: () => workerPids.reduce((sum, p) => sum + rssBytes(p), 0),
    stop: () => main.stop(20_000),
  };
}
