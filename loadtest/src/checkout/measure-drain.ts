// The order drain: start the order worker on the orders checkout accepted and measure how fast
// they reach PostgreSQL, with the worker's, Redis's and PostgreSQL's CPU per order (the bench's
// checkout phase and the drain-only tool, drain.ts).
import { eventKeys, workerSchema } from '@sluice/shared';
import { cpuSeconds, REPO_DIR, sleep, spawnModule, treeCpuSeconds } from '../lib/proc.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import type { Stores } from '../lib/stores.ts';

export interface DrainResult {
  persisted: number;
  seconds: number;
  perSecond: number;
  accepted: number;
  /** Order worker process CPU per persisted order, µs (from the first order written to the last). */
  workerCpuUs: number | null;
  /** Redis CPU per persisted order during the drain (stream read/ack/delete, voided check, finalize), µs. */
  redisCpuUs: number | null;
  /** CPU of the worker's PostgreSQL backends per persisted order (INSERT, lookups), µs. */
  pgCpuUs?: number | null;
  /** Orders per read batch (WORKER_BATCH_SIZE) the worker ran with. */
  batchSize?: number;
}

const workerBatchDefault = workerSchema.batchSize.default;

/**
 * Start the order worker (its configured batch size unless `env` says otherwise) and measure how
 * fast the accepted orders reach PostgreSQL.
 */
export async function measureDrain(
  s: Stores,
  evt: string,
  seconds: number,
  env: Record<string, string> = {},
): Promise<DrainResult> {
  const accepted = Number(await s.redis.zcard(eventKeys(s.prefix, evt).reservations));
  // The worker's PostgreSQL connections carry this application_name: their backends' CPU counts.
  const app = `sluice-drain-${process.pid}-${Date.now()}`;
  const worker = spawnModule(`${REPO_DIR}checkout/src/worker/main.ts`, [], {
    env: { ...s.env, WORKER_METRICS_PORT: '0', SWEEP_INTERVAL_MS: '60000', PGAPPNAME: app, ...env },
  });
  const pgCpu = async () => {
    const { rows } = await s.pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [app],
    );
    return rows.reduce((sum, r) => sum + cpuSeconds(r.pid), 0);
  };
  try {
    // CPU is read when the first orders appear and at each change: start-up (tsx compiling the
    // worker) is not an order's cost.
    const cpuSpawn = treeCpuSeconds(worker.pid);
    const redisSpawn = await redisCpuSeconds(s.redis);
    let cpuFirst = 0;
    let redisFirst = 0;
    let cpuLast = 0;
    let redisLast = 0;
    let pgFirst = 0;
    let pgLast = 0;
    const count = async () =>
      Number(
        (await s.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE event_id = $1', [evt]))
          .rows[0]!.n,
      );
    let firstAt = 0;
    let lastAt = 0;
    let firstN = 0;
    let n = 0;
    const end = Date.now() + seconds * 1000 + 30_000;
    let stableSince = Date.now();
    while (Date.now() < end) {
      await sleep(250);
      const c = await count();
      const t = Date.now();
      if (c > 0 && firstAt === 0) {
        firstAt = t;
        firstN = c;
        cpuFirst = treeCpuSeconds(worker.pid);
        redisFirst = await redisCpuSeconds(s.redis);
        pgFirst = await pgCpu();
      }
      if (c !== n) {
        n = c;
        lastAt = t;
        stableSince = t;
        cpuLast = treeCpuSeconds(worker.pid);
        redisLast = await redisCpuSeconds(s.redis);
        pgLast = await pgCpu();
      }
      if (n >= accepted || (firstAt > 0 && t - firstAt > seconds * 1000) || (n > 0 && t - stableSince > 3000))
        break;
    }
    const span = (lastAt - firstAt) / 1000;
    // A drain over before the first poll (small runs) has no first-to-last span: then the whole
    // drain from spawn counts, start-up included.
    const spanned = n > firstN;
    const workerCpuUs = spanned ? usPerOp(cpuLast - cpuFirst, n - firstN) : usPerOp(cpuLast - cpuSpawn, n);
    const redisCpuUs = spanned
      ? usPerOp(redisLast - redisFirst, n - firstN)
      : usPerOp(redisLast - redisSpawn, n);
    // A backend that was not there at the first reading started during the drain: whole CPU counts.
    const pgCpuUs = spanned ? usPerOp(pgLast - pgFirst, n - firstN) : usPerOp(pgLast, n);
    const batchSize = Number(env.WORKER_BATCH_SIZE ?? workerBatchDefault);
    return {
      accepted,
      persisted: n,
      seconds: round2(span),
      perSecond: span > 0 ? Math.round((n - firstN) / span) : 0,
      workerCpuUs,
      redisCpuUs,
      pgCpuUs,
      batchSize,
    };
  } finally {
    await worker.stop(15_000);
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;
