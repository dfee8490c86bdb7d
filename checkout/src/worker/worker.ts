// The order worker as a factory: per event, batches of order entries read from the event's stream
// (consumer group) → payment → one INSERT per batch → finalize → XACK; a sweeper for expired
// reservations; /metrics, /healthz, /readyz.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
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
import { ORDER_ATTEMPTS } from '../orders/queue.ts';
import { startGuard } from '../reconcile/guard.ts';
import { EventStreams } from './event-streams.ts';
import type { Delivered } from './order-stream.ts';
import { createWorkerMetrics } from './metrics.ts';
import { startOpsServer } from './ops-server.ts';
import { type PaymentProvider, SimulatedPayments } from './payment.ts';
import { processOrders } from './process-batch.ts';
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
  /** Deliveries of an order before a payment whose outcome stays unknown fails it (ORDER_ATTEMPTS). */
  attempts?: number;
}

export interface OrderWorker {
  /** Port of /metrics, /healthz, /readyz. */
  port: number;
  /** Stop the sweeper, let the batches in progress finish, close connections. */
  close(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, opts: WorkerOptions = {}): Promise<OrderWorker> {
  const log = opts.log ?? createLogger('worker', config.logLevel);
  const now = opts.now ?? Date.now;
  const pool = opts.pool ?? createPool(config.databaseUrl, { max: 10 });
  const redis = createRedis(config);
  const payments =
    opts.payments ?? new SimulatedPayments({ latencyMs: config.paymentLatencyMs, declineRate: config.paymentDeclineRate });
  const metrics = createWorkerMetrics();
  let draining = false;

  const reversals: ReversalDeps = {
    pool,
    payments,
    log,
    onOutcome: (kind, outcome) => metrics.reversals.inc({ kind, outcome }),
  };
  const batchDeps = { pool, redis, prefix: config.prefix, now, log, payments, reversals, attempts: opts.attempts ?? ORDER_ATTEMPTS };

  /** One batch read from a stream: an entry repeated in it (a replayed add) shares its first's outcome. */
  const handle = async (batch: Delivered[]): Promise<boolean[]> => {
    const first = new Map<string, number>();
    const jobs: { data: NonNullable<Delivered['data']>; deliveries: number }[] = [];
    const slot = batch.map((d) => {
      if (!d.data) return -1;
      let j = first.get(d.data.orderId);
      if (j === undefined) {
        j = jobs.push({ data: d.data, deliveries: d.deliveries }) - 1;
        first.set(d.data.orderId, j);
      }
      return j;
    });
    if (jobs.length === 0) return batch.map(() => true);
    const end = metrics.flushSeconds.startTimer();
    metrics.batchSize.observe(jobs.length);
    try {
      const out = await processOrders(batchDeps, jobs);
      out.forEach((w, j) => {
        if (w instanceof Error) {
          metrics.jobFailures.inc();
          log.warn({ err: w, orderId: jobs[j]!.data.orderId, attempt: jobs[j]!.deliveries }, 'order failed: it will be delivered again');
        } else if (w.inserted) metrics.orders.inc({ status: w.status });
      });
      return slot.map((j) => j < 0 || !(out[j] instanceof Error));
    } catch (err) {
      metrics.jobFailures.inc(jobs.length);
      throw err;
    } finally {
      end();
    }
  };

  const worker = new EventStreams({
    redis,
    prefix: config.prefix,
    log,
    consumer: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    batchSize: config.batchSize,
    batchesInFlight: config.batchesInFlight,
    retryMs: config.retryMs,
    lockMs: config.lockMs,
    handle,
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
  log.info({ port: ops.port, batchSize: config.batchSize }, 'order worker started');

  let closing: Promise<void> | undefined;
  return {
    port: ops.port,
    close() {
      closing ??= (async () => {
        draining = true;
        await sweeper.stop();
        await guard.stop();
        await reverser.stop();
        await worker.close(); // waits for the batches in progress
        const closed = new Promise<void>((r) => ops.server.close(() => r()));
        ops.server.closeAllConnections();
        await closed;
        guardRedis.disconnect();
        redis.disconnect();
        if (!opts.pool) await pool.end().catch(ignoring('postgres pool close at shutdown'));
        log.info('order worker closed');
      })();
      return closing;
    },
  };
}
