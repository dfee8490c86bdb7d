// Spawn the real gate (main.ts with N workers on one port) for multi-process tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { until } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
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
  await until(
    () => (out.match(/gate worker listening/g)?.length ?? 0) >= workers,
    30_000,
    `${workers} workers listening`,
  );
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
