// The order worker as a factory: BullMQ worker (concurrency N) → payment → batcher (one INSERT
// per batch) → finalize; a sweeper for expired reservations; /metrics, /healthz, /readyz.
import {
  ignoring,
  type ConfigOf,
  createLogger,
  createPool,
  createRedis,
  listEventIds,
  type Logger,
  type Pool,
  type workerSchema,
} from '@sluice/shared';
import { Batcher } from './batcher.ts';
import { EventWorkers } from './event-workers.ts';
import { startGuard } from '../reconcile/guard.ts';
import { flushOrders, type Written } from './flush.ts';
import { createWorkerMetrics } from './metrics.ts';
import { startOpsServer } from './ops-server.ts';
import { type PaymentProvider, SimulatedPayments } from './payment.ts';
import type { OrderRow } from './persist.ts';
import { processOrderJob } from './process-order.ts';
import { type ReversalDeps, startReverser } from './reversals.ts';
import { startSweeper } from './sweeper.ts';

export type WorkerConfig = ConfigOf<typeof workerSchema>;

export interface WorkerOptions {
  /** Payment provider; default the simulator configured by PAYMENT_LATENCY_MS / PAYMENT_DECLINE_RATE. */
  payments?: PaymentProvider;
  now?: () => number;
  log?: Logger;
  /** A pool to use instead of one built from config.databaseUrl (not closed by close()). */
  pool?: Pool;
}

export interface OrderWorker {
  /** Port of /metrics, /healthz, /readyz. */
  port: number;
  /** Stop the sweeper, let active jobs finish, flush the batcher, close connections. */
  close(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, opts: WorkerOptions = {}): Promise<OrderWorker> {
  const log = opts.log ?? createLogger('worker', config.logLevel);
  const now = opts.now ?? Date.now;
  const pool = opts.pool ?? createPool(config.databaseUrl, { max: 10 });
  const redis = createRedis(config);
  // BullMQ's blocking connection must retry forever (maxRetriesPerRequest: null).
  const bullRedis = createRedis(config, { maxRetriesPerRequest: null });
  const payments =
    opts.payments ?? new SimulatedPayments({ latencyMs: config.paymentLatencyMs, declineRate: config.paymentDeclineRate });
  const metrics = createWorkerMetrics();
  let draining = false;

  const batcher = new Batcher<OrderRow, Written>({
    maxSize: config.batchSize,
    maxWaitMs: config.batchMs,
    key: (row) => row.orderId,
    flush: async (rows) => {
      const end = metrics.flushSeconds.startTimer();
      metrics.batchSize.observe(rows.length);
      try {
        const out = await flushOrders({ pool, redis, prefix: config.prefix, now, log }, rows);
        for (const w of out) if (!(w instanceof Error) && w.inserted) metrics.orders.inc({ status: w.status });
        return out;
      } finally {
        end();
      }
    },
  });

  const reversals: ReversalDeps = {
    pool,
    payments,
    log,
    onOutcome: (kind, outcome) => metrics.reversals.inc({ kind, outcome }),
  };
  const worker = new EventWorkers({
    redis,
    connection: bullRedis,
    prefix: config.prefix,
    log,
    process: (job) => processOrderJob({ redis, prefix: config.prefix, payments, batcher, reversals }, job),
    options: {
      concurrency: config.concurrency,
      lockDuration: config.lockMs,
      stalledInterval: config.lockMs,
      maxStalledCount: 3,
    },
    onFailed: (orderId, attempt, err) => {
      metrics.jobFailures.inc();
      log.warn({ err, orderId, attempt }, 'order job failed');
    },
  });
  await worker.start();

  // Stock check after a Redis failover or restart, on a connection of its own (WATCH).
  const guardRedis = createRedis(config);
  const guard = startGuard(
    { redis: guardRedis, pool, prefix: config.prefix, log, listEvents: () => listEventIds(redis, config.prefix) },
    config.guardIntervalMs,
    now,
    (o) => metrics.guard.inc({ action: o.action }),
  );

  const sweeper = startSweeper({ redis, pool, prefix: config.prefix, log }, config.sweepIntervalMs, now, (r) => {
    if (r.voided) metrics.swept.inc({ outcome: 'void' }, r.voided);
    if (r.finalized) metrics.swept.inc({ outcome: 'finalized' }, r.finalized);
  });

  // Reversals the provider did not answer are retried on the sweeper's interval.
  const reverser = startReverser(reversals, config.sweepIntervalMs);

  const ops = await startOpsServer(config.metricsPort, config.metricsHost, {
    checks: {
      redis: () => redis.ping(),
      postgres: () => pool.query('SELECT 1'),
      worker: async () => {
        if (!worker.running()) throw new Error('not running');
      },
    },
    registry: metrics.registry,
    draining: () => draining,
  });
  log.info({ port: ops.port, concurrency: config.concurrency }, 'order worker started');

  let closing: Promise<void> | undefined;
  return {
    port: ops.port,
    close() {
      closing ??= (async () => {
        draining = true;
        await sweeper.stop();
        await guard.stop();
        await reverser.stop();
        await worker.close(); // waits for active jobs, whose batches flush on their timer
        await batcher.drain();
        const closed = new Promise<void>((r) => ops.server.close(() => r()));
        ops.server.closeAllConnections();
        await closed;
        bullRedis.disconnect();
        guardRedis.disconnect();
        redis.disconnect();
        if (!opts.pool) await pool.end().catch(ignoring('postgres pool close at shutdown'));
        log.info('order worker closed');
      })();
      return closing;
    },
  };
}
