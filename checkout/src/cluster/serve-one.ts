// One checkout API process: the app, plus the shutdown order on SIGTERM/SIGINT (stop accepting
// and fail readiness, drain requests, close Redis, PostgreSQL). Used by main.ts when
// CHECKOUT_WORKERS is 1 and by each forked worker of the supervisor otherwise.
import type { Logger } from '@sluice/shared';
import { joinFleetMetrics } from '@sluice/shared/cluster/fleet-metrics.ts';
import { LISTENING_MESSAGE } from '@sluice/shared/cluster/supervise.ts';
import { type CheckoutConfig, startCheckout } from '../app.ts';

/** Supervisor → worker message asking for a graceful shutdown. */
export const SHUTDOWN_MESSAGE = 'shutdown';
/** Worker → supervisor message once the worker listens. */
export { LISTENING_MESSAGE };

/** `supervised`: a worker forked by the supervisor (its /metrics then answers for every worker). */
export async function serveOne(config: CheckoutConfig, log: Logger, supervised = false): Promise<void> {
  const app = await startCheckout(config, { log });
  if (supervised) joinFleetMetrics(app.registry);
  process.send?.({ type: LISTENING_MESSAGE, port: app.port, pid: process.pid });

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down');
    // Bounded: close() drains for at most 5 s; never hang a supervisor's shutdown.
    setTimeout(() => process.exit(1), 12_000).unref();
    await app.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));
  if (process.send) {
    process.on('message', (m: { type?: string }) => {
      if (m?.type === SHUTDOWN_MESSAGE) void stop('supervisor');
    });
    // The supervisor is gone (even kill -9): do not keep its port alive as an orphan.
    process.once('disconnect', () => void stop('supervisor gone'));
  }
}
