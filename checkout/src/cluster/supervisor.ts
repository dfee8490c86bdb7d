// The checkout supervisor: forks `count` API worker processes that all listen on the same port
// (hyper-express runs on uWebSockets.js, which sets SO_REUSEPORT on Linux, so the kernel spreads
// connections over them), restarts a worker that dies, and on SIGTERM/SIGINT forwards the signal
// to every worker (each shuts down in order) and exits when they are gone. Mirrors gate/src/main.ts.
import { type ChildProcess, fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@sluice/shared';
import type { CheckoutConfig } from '../app.ts';
import { LISTENING_MESSAGE } from './serve-one.ts';

const ENTRY = fileURLToPath(new URL('./api-worker.ts', import.meta.url));

/** A free port on `host`: workers sharing port 0 would each get a different one. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function supervise(count: number, config: CheckoutConfig, log: Logger): Promise<void> {
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  const env = { ...process.env, CHECKOUT_PORT: String(port), CHECKOUT_WORKERS: '1' };
  const workers = new Set<ChildProcess>();
  let stopping = false;
  let recentRestarts: number[] = [];

  const spawnWorker = () => {
    const child = fork(ENTRY, [], { execArgv: ['--import', 'tsx'], env, stdio: 'inherit' });
    workers.add(child);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m?.type === LISTENING_MESSAGE)
        log.info({ worker: child.pid, port: m.port }, 'checkout worker listening');
    });
    child.on('exit', (code, signal) => {
      workers.delete(child);
      if (stopping) {
        if (workers.size === 0) process.exit(0);
        return;
      }
      log.error({ worker: child.pid, code, signal }, 'checkout worker died; restarting');
      const now = Date.now();
      recentRestarts = recentRestarts.filter((t) => now - t < 10_000);
      recentRestarts.push(now);
      // A worker that dies at once (port taken, bad store URL) must not become a fork loop.
      setTimeout(spawnWorker, recentRestarts.length > count * 3 ? 2000 : 100);
    });
  };

  for (let i = 0; i < count; i++) spawnWorker();
  log.info({ workers: count, port }, 'checkout starting');

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'checkout shutting down');
    for (const w of workers) w.kill(signal);
    setTimeout(() => {
      for (const w of workers) w.kill('SIGKILL');
      process.exit(1);
    }, 15_000).unref();
    if (workers.size === 0) process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
