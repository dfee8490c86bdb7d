// Starts the real checkout API (checkout/src/main.ts) for the bench: CHECKOUT_WORKERS processes
// sharing one port behind its supervisor, trusting the bench's test key through a JWKS served
// from this process (the same RemoteJwks path a deployment uses against the gate).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { freePort } from '../gate/launch.ts';
import { type Child, childPids, cpuSeconds, pollUntil, REPO_DIR, spawnModule } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';

export interface CheckoutCluster {
  port: number;
  main: Child;
  workerPids: number[];
  /** CPU seconds used so far by the supervisor and its workers. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function serveJwks(jwks: unknown): Promise<{ url: string; server: Server }> {
  const body = JSON.stringify(jwks);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/.well-known/jwks.json`, server };
}

/** Listening sockets on `port` (one per worker with SO_REUSEPORT), from `ss`. */
function listeners(port: number): number {
  try {
    return execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** `workers`: CHECKOUT_WORKERS (0 = one per core; 1 = a single process without supervisor). */
export async function startCheckoutCluster(
  s: Stores,
  o: { workers: number; jwks: unknown; env?: Record<string, string>; execArgv?: string[]; repoDir?: string },
): Promise<CheckoutCluster> {
  const port = await freePort();
  const jwks = await serveJwks(o.jwks);
  // repoDir: another checkout of the repository (A/B probes against a base commit).
  const main = spawnModule(`${o.repoDir ?? REPO_DIR}checkout/src/main.ts`, [], {
    env: {
      ...s.env,
      CHECKOUT_HOST: '127.0.0.1',
      CHECKOUT_PORT: String(port),
      CHECKOUT_WORKERS: String(o.workers),
      JWKS_URL: jwks.url,
      LOG_LEVEL: 'warn',
      ...o.env,
    },
    execArgv: o.execArgv,
  });
  const expected = o.workers === 1 ? 0 : o.workers === 0 ? availableParallelism() : o.workers;
  try {
    await pollUntil(
      async () => {
        if (main.exited() !== null) throw new Error(`checkout exited (${main.exited()}): ${main.stderr()}`);
        return childPids(main.pid).length >= expected && (await ready(port));
      },
      180_000,
      250,
    ).catch((err: Error) => {
      throw new Error(
        `checkout on port ${port} not ready (${childPids(main.pid).length}/${expected} workers): ${err.message}`,
      );
    });
    // Every worker must be listening before load starts (each has its own SO_REUSEPORT socket).
    await pollUntil(() => listeners(port) >= Math.max(1, expected), 60_000, 250);
    await new Promise((r) => setTimeout(r, 500));
  } catch (err) {
    await main.stop();
    jwks.server.close();
    throw err;
  }
  const workerPids = expected === 0 ? [main.pid] : childPids(main.pid);
  const all = expected === 0 ? [main.pid] : [main.pid, ...workerPids];
  return {
    port,
    main,
    workerPids,
    cpuSeconds: () => all.reduce((sum, p) => sum + cpuSeconds(p), 0),
    stop: async () => {
      await main.stop(20_000);
      jwks.server.close();
    },
  };
}
