// One supervisor for every service that runs several worker processes on one port (uWS sets
// SO_REUSEPORT on Linux, so the kernel spreads connections): forks `count` workers, restarts one
// that dies (slower when they keep dying, so a bad port or store URL is not a fork loop), and on
// SIGTERM/SIGINT forwards the signal — each worker shuts down in its documented order — and exits
// once they are all gone (SIGKILL after 15 s).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../observability/log.ts';
import { FleetMetricsHub } from './fleet-metrics.ts';

/** After SIGTERM the supervisor kills workers still running after this long, then exits. */
export const SHUTDOWN_KILL_MS = 15_000;

/** What a worker sends its supervisor once it listens. */
export const LISTENING_MESSAGE = 'listening';

export interface SuperviseOptions {
  /** Worker entry file: a `.ts` source runs with `--import tsx`, a built `.js` with plain node. */
  entry: string;
  count: number;
  env: NodeJS.ProcessEnv;
  /** Service name for the log lines. */
  name: string;
  log: Logger;
  /** Logged with the start line (e.g. the port). */
  details?: Record<string, unknown>;
  /** The environment of the worker in `slot` (0..count-1), when it differs from `env`. */
  envOf?: (slot: number) => NodeJS.ProcessEnv;
}

export function superviseWorkers(o: SuperviseOptions): void {
  // Worker → slot (0..count-1): a replacement takes the slot of the worker it replaces, so the
  // `worker` label of the fleet's metrics stays within count values.
  const workers = new Map<ChildProcess, number>();
  const metrics = new FleetMetricsHub(() => workers.entries());
  let stopping = false;
  let recentRestarts: number[] = [];

  const spawnWorker = (slot: number): void => {
    // TypeScript sources (development) need the loader; the build (npm run build) is plain JS.
    const execArgv = o.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = fork(o.entry, [], { execArgv, env: o.envOf?.(slot) ?? o.env, stdio: 'inherit' });
    workers.set(child, slot);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (metrics.handle(child, m)) return;
      if (m?.type === LISTENING_MESSAGE)
        o.log.info({ worker: child.pid, port: m.port }, `${o.name} worker listening`);
    });
    child.on('exit', (code, signal) => {
      workers.delete(child);
      if (stopping) {
        if (workers.size === 0) process.exit(0);
        return;
      }
      o.log.error({ worker: child.pid, code, signal }, `${o.name} worker died; restarting`);
      const now = Date.now();
      recentRestarts = recentRestarts.filter((t) => now - t < 10_000);
      recentRestarts.push(now);
      setTimeout(() => spawnWorker(slot), recentRestarts.length > o.count * 3 ? 2000 : 100);
    });
  };

  for (let i = 0; i < o.count; i++) spawnWorker(i);
  o.log.info({ workers: o.count, ...o.details }, `${o.name} starting`);

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    o.log.info({ signal }, `${o.name} shutting down`);
    for (const w of workers.keys()) w.kill(signal);
    setTimeout(() => {
      for (const w of workers.keys()) w.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_KILL_MS).unref();
    if (workers.size === 0) process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * The worker entry `name` beside the calling module, in the caller's own form: `worker.ts` next
 * to a TypeScript source, `worker.js` next to its build. `siblingEntry(import.meta.url, 'worker')`
 */
export function siblingEntry(callerUrl: string, name: string): string {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, callerUrl));
}
