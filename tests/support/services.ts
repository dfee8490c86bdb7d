// Sluice services as real child processes for fault tests: the checkout API
// (checkout/src/main.ts), the order worker (checkout/src/worker/main.ts) and the gate cluster
// (gate/src/main.ts via the gate's own spawn helper). Each gets the stores' environment, a free
// port and is ready when its /healthz answers. kill() sends any signal (SIGKILL for crashes).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type SpawnedGate, freePort, spawnGate } from '../../gate/test/spawn.ts';
import type { Stores } from './stores.ts';
import { until } from './wait.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Service {
  proc: ChildProcess;
  pid: number;
  port: number;
  base: string;
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

async function spawnService(entry: string, env: Record<string, string>, port: number): Promise<Service> {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | string | null>((r) => proc.once('exit', (code, sig) => r(code ?? sig)));
  const base = `http://127.0.0.1:${port}`;
  const svc: Service = {
    proc,
    pid: proc.pid!,
    port,
    base,
    output: () => out,
    exited,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const force = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  await until(
    async () => {
      if (dead) throw new Error(`${entry} exited during start:\n${out.slice(-3000)}`);
      return answers(`${base}/healthz`);
    },
    60_000,
    `${entry} healthy`,
    100,
  );
  return svc;
}

/** The checkout API process; `env` overrides (JWKS_URL is required unless a gate serves it). */
export async function spawnCheckout(s: Stores, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  return spawnService(`${ROOT}checkout/src/main.ts`, { ...s.env, CHECKOUT_HOST: '127.0.0.1', CHECKOUT_PORT: String(port), ...env }, port);
}

/** The order worker process (payments, batched writes, sweeper). */
export async function spawnWorker(s: Stores, env: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  return spawnService(
    `${ROOT}checkout/src/worker/main.ts`,
    { ...s.env, WORKER_METRICS_PORT: String(port), WORKER_RETRY_MS: '200', SWEEP_INTERVAL_MS: '200', ...env },
    port,
  );
}

/** The gate supervisor with `workers` uWS processes on one port. */
export function spawnGateCluster(s: Stores, workers: number, env: Record<string, string> = {}): Promise<SpawnedGate> {
  return spawnGate(s.prefix, workers, {
    REDIS_URL: s.redisUrl,
    REDIS_CLUSTER_NODES: s.env.REDIS_CLUSTER_NODES ?? '',
    LOG_LEVEL: 'info', // spawnGate waits for the "gate worker listening" lines
    GATE_TICK_MS: '100',
    ...env,
  });
}

export type { SpawnedGate };
export { freePort };
