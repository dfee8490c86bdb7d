// One batch of order entries as one story: skip payment for reservations the sweeper already
// voided (one SMISMEMBER per event), charge the rest at once, write every decided order in one
// INSERT and close their reservations in one pipeline (flush.ts), then give the money back for
// orders that were charged (or whose charge had an unknown outcome) and still ended failed:
// refunded (charge known) or voided (outcome unknown), recorded first (reversals.ts).
// Per entry the answer is done (acknowledge it) or an Error (leave it pending: delivered again).
import { eventKeys, type Redis } from '@sluice/shared';
import type { OrderJobData } from '../orders/queue.ts';
import { type FlushDeps, flushOrders, type Written } from './flush.ts';
import type { PaymentProvider, PaymentResult } from './payment.ts';
import type { OrderRow } from './persist.ts';
import { type ReversalDeps, reverse } from './reversals.ts';

export interface BatchDeps extends FlushDeps {
  redis: Redis;
  payments: PaymentProvider;
  reversals: ReversalDeps;
  /** Deliveries after which a payment whose outcome stays unknown fails its order. */
  attempts: number;
}

export interface OrderDelivery {
  data: OrderJobData;
  /** 1 on the first delivery. */
  deliveries: number;
}

interface Decided {
  payment: PaymentResult;
  unknownOutcome: boolean;
}

/** Which of `jobs` the sweeper voided: one SMISMEMBER per event (ids bounded by the batch). */
async function voidedOf(redis: Redis, prefix: string, jobs: readonly OrderDelivery[]): Promise<boolean[]> {
  const out = new Array<boolean>(jobs.length).fill(false);
  const byEvent = new Map<string, number[]>();
  jobs.forEach((j, i) => {
    const list = byEvent.get(j.data.evt);
    if (list) list.push(i);
    else byEvent.set(j.data.evt, [i]);
  });
  for (const [evt, idx] of byEvent) {
    const ids = idx.map((i) => jobs[i]!.data.orderId);
    // bounded: one batch (WORKER_BATCH_SIZE ≤ 5,000)
    const flags = (await redis.smismember(eventKeys(prefix, evt).voided, ...ids)) as number[];
    idx.forEach((i, j) => {
      out[i] = flags[j] === 1;
    });
  }
  return out;
}

async function decide(deps: BatchDeps, job: OrderDelivery, voided: boolean): Promise<Decided | Error> {
  if (voided) return { payment: { ok: false, reason: 'expired' }, unknownOutcome: false };
  const d = job.data;
  try {
    return { payment: await deps.payments.charge({ orderId: d.orderId, amountCents: d.unitPriceCents * d.qty }), unknownOutcome: false };
  } catch (err) {
    // Unknown outcome: deliver again; on the last delivery give up and fail the order.
    if (job.deliveries < deps.attempts) return err instanceof Error ? err : new Error(String(err));
    return { payment: { ok: false, reason: 'payment_error' }, unknownOutcome: true };
  }
}

function rowOf(d: OrderJobData, { payment }: Decided): OrderRow {
  return {
    orderId: d.orderId,
    evt: d.evt,
    sku: d.sku,
    qty: d.qty,
    jti: d.jti,
    placeId: d.sub,
    status: payment.ok ? 'confirmed' : 'failed',
    failReason: payment.ok ? null : payment.reason,
    amountCents: d.unitPriceCents * d.qty,
    paymentRef: payment.ok ? payment.ref : null,
    idempotencyKey: d.idempotencyKey,
    createdAt: d.at,
  };
}

/**
 * Process `jobs` (distinct order ids); per job its written state or the Error that leaves it
 * pending. Throws only when nothing could be written (the database or Redis is away).
 */
export async function processOrders(deps: BatchDeps, jobs: readonly OrderDelivery[]): Promise<(Written | Error)[]> {
  const voided = await voidedOf(deps.redis, deps.prefix, jobs);
  const decided = await Promise.all(jobs.map((j, i) => decide(deps, j, voided[i]!)));
  const out: (Written | Error)[] = decided.map((d) => (d instanceof Error ? d : new Error('not written')));
  const ready = jobs.flatMap((j, i) => {
    const d = decided[i]!;
    return d instanceof Error ? [] : [{ i, job: j, d }];
  });
  if (ready.length === 0) return out;
  const written = await flushOrders(
    deps,
    ready.map((r) => rowOf(r.job.data, r.d)),
  );
  await Promise.all(
    ready.map(async ({ i, job, d }, k) => {
      const w = written[k]!;
      out[i] = w;
      if (w instanceof Error) return;
      // Charged, then failed: written after the sweeper returned the units ('expired'), a second
      // order on a ticket already ordered, or a charge whose outcome was never learnt.
      if (w.status === 'failed' && (d.payment.ok || d.unknownOutcome)) {
        const data = job.data;
        try {
          await reverse(deps.reversals, {
            evt: data.evt,
            orderId: data.orderId,
            kind: d.payment.ok ? 'refund' : 'void',
            ref: d.payment.ok ? d.payment.ref : null,
            amountCents: data.unitPriceCents * data.qty,
            reason: w.failReason ?? (d.payment.ok ? 'failed' : 'payment_error'),
          });
        } catch (err) {
          // The debt could not be recorded: deliver the order again (written: the row is found).
          out[i] = err instanceof Error ? err : new Error(String(err));
        }
      }
    }),
  );
  return out;
}
