// Spawn the real gate (main.ts with N workers on one port) for multi-process tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach } from 'vitest';
import { until } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * A free port below the kernel's ephemeral range (32768+): a port the OS hands out for port 0
 * can be taken as the source port of some parallel test's outgoing connection before the
 * spawned process listens on it.
 */
export async function freePort(): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 12_000);
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(freePort()));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(port)));
  });
}

export interface SpawnedGate {
  proc: ChildProcess;
  port: number;
  output: () => string;
  stop(): Promise<number | null>;
}

export async function spawnGate(
  prefix: string,
  workers: number,
  env: Record<string, string> = {},
): Promise<SpawnedGate> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      SLUICE_PREFIX: prefix,
      GATE_PORT: String(port),
      GATE_HOST: '127.0.0.1',
      GATE_WORKERS: String(workers),
      GATE_SERVE_PAGE: 'false',
      LOG_LEVEL: 'info',
      // Every test client shares 127.0.0.1, and the join limit is global over the processes.
      GATE_JOIN_RATE_PER_IP: '100000',
      GATE_MAX_PLACES_PER_IP: '1000000',
      GATE_MAX_SOCKETS_PER_IP: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  try {
    // A gate that does not come up in time is stopped here: the caller never gets a handle to stop
    // (its supervisor and workers were left running after such a timeout).
    await until(
      () => (out.match(/gate worker listening/g)?.length ?? 0) >= workers,
      // Generous: on a loaded 2-core machine tsx start-up of several workers takes tens of seconds
      // (over a minute at load average 34).
      150_000,
      `${workers} workers listening`,
    );
  } catch (err) {
    proc.kill('SIGTERM');
    throw err;
  }
  return {
    proc,
    port,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill('SIGTERM');
      }),
  };
}

/**
 * For files whose tests each spawn a gate: a fresh Redis fixture before each test, and after it
 * the gate the test spawned (`t.gate = await spawnGate(t.fx.prefix, …)`) stopped and the keys
 * removed.
 */
export function spawnedGatePerTest(): { fx: RedisFixture; gate: SpawnedGate | undefined } {
  const t = { fx: undefined as unknown as RedisFixture, gate: undefined as SpawnedGate | undefined };
  beforeEach(async () => {
    t.fx = await redisFixture();
  });
  afterEach(async () => {
    await t.gate?.stop();
    t.gate = undefined;
    await t.fx.cleanup();
  });
  return t;
}
