// Worker metrics: orders written by status, batch sizes and flush time, sweeps.
import { createRegistry, prom } from '@sluice/shared';

export function createWorkerMetrics() {
  const registry = createRegistry('worker');
  return {
    registry,
    orders: new prom.Counter({
      name: 'sluice_worker_orders_total',
      help: 'Orders written to PostgreSQL by status (redeliveries not counted)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    batchSize: new prom.Histogram({
      name: 'sluice_worker_batch_size',
      help: 'Orders per INSERT',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers: [registry],
    }),
    flushSeconds: new prom.Histogram({
      name: 'sluice_worker_flush_seconds',
      help: 'Time to write one batch and close its reservations',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    guard: new prom.Counter({
      name: 'sluice_worker_stock_guard_total',
      help: 'Stock checks after a Redis failover or restart, by outcome (verified, repaired, stopped)',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    swept: new prom.Counter({
      name: 'sluice_worker_swept_total',
      help: 'Expired reservations closed by the sweeper',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    reversals: new prom.Counter({
      name: 'sluice_worker_payment_reversals_total',
      help: 'Refund / void calls for orders charged and then failed, by outcome (reversed, nothing, error)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    jobFailures: new prom.Counter({
      name: 'sluice_worker_job_failures_total',
      help: 'Order deliveries that failed (the entry stays pending and is delivered again)',
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
