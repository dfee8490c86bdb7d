// The gate supervisor: forks GATE_WORKERS worker processes (0 = one per core) that all listen
// on the same port (uWS sets SO_REUSEPORT on Linux, the kernel spreads connections), restarts
// a worker that dies, and on SIGTERM/SIGINT asks every worker to shut down in the documented
// order (stop accepting → fail readiness → GOING_AWAY to sockets → release the admitter lease →
// close Redis) and exits when they are done.
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, gateSchema, loadConfigOrExit } from '@sluice/shared';

const config = loadConfigOrExit(gateSchema);
const log = createLogger('gate-main', config.logLevel);
const count = config.workers === 0 ? availableParallelism() : config.workers;
const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
const workers = new Set<ChildProcess>();
let stopping = false;
let recentRestarts: number[] = [];

function spawnWorker(): void {
  const child = fork(entry, [], { execArgv: ['--import', 'tsx'], env: process.env, stdio: 'inherit' });
  workers.add(child);
  child.on('message', (m: { type?: string; port?: number }) => {
    if (m?.type === 'listening') log.info({ pid: child.pid, port: m.port }, 'gate worker listening');
  });
  child.on('exit', (code, signal) => {
    workers.delete(child);
    if (stopping) {
      if (workers.size === 0) process.exit(0);
      return;
    }
    log.error({ pid: child.pid, code, signal }, 'gate worker died; restarting');
    const now = Date.now();
    recentRestarts = recentRestarts.filter((t) => now - t < 10_000);
    recentRestarts.push(now);
    // A worker that dies at once (bad port, Redis refusing) must not become a fork loop.
    const delay = recentRestarts.length > count * 3 ? 2000 : 100;
    setTimeout(spawnWorker, delay);
  });
}

for (let i = 0; i < count; i++) spawnWorker();
log.info({ workers: count, port: config.port }, 'gate starting');

function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'gate shutting down');
  for (const w of workers) w.send({ type: 'shutdown' });
  setTimeout(() => {
    for (const w of workers) w.kill('SIGKILL');
    process.exit(1);
  }, 15_000).unref();
  if (workers.size === 0) process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
