// One order job: skip payment if the sweeper already voided the reservation, otherwise charge;
// then hand the row to the batcher and wait for its write and finalisation. An order that was
// charged (or whose charge had an unknown outcome) and still ended failed gets its money back:
// refunded (charge known) or voided (outcome unknown), recorded first (reversals.ts).
import { eventKeys, type Redis } from '@sluice/shared';
import type { Job } from 'bullmq';
import type { OrderJobData } from '../orders/queue.ts';
import type { Batcher } from './batcher.ts';
import type { Written } from './flush.ts';
import type { PaymentProvider, PaymentResult } from './payment.ts';
import type { OrderRow } from './persist.ts';
import { type ReversalDeps, reverse } from './reversals.ts';

export interface ProcessDeps {
  redis: Redis;
  prefix: string;
  payments: PaymentProvider;
  batcher: Batcher<OrderRow, Written>;
  reversals: ReversalDeps;
}

export async function processOrderJob(deps: ProcessDeps, job: Job<OrderJobData>): Promise<Written> {
  const d = job.data;
  const amountCents = d.unitPriceCents * d.qty;
  const voided = (await deps.redis.sismember(eventKeys(deps.prefix, d.evt).voided, d.orderId)) === 1;

  let payment: PaymentResult;
  let unknownOutcome = false;
  if (voided) {
    payment = { ok: false, reason: 'expired' };
  } else {
    try {
      payment = await deps.payments.charge({ orderId: d.orderId, amountCents });
    } catch (err) {
      // Unknown outcome: retry; on the last attempt give up and fail the order.
      if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw err;
      payment = { ok: false, reason: 'payment_error' };
      unknownOutcome = true;
    }
  }

  const written = await deps.batcher.submit({
    orderId: d.orderId,
    evt: d.evt,
    sku: d.sku,
    qty: d.qty,
    jti: d.jti,
    placeId: d.sub,
    status: payment.ok ? 'confirmed' : 'failed',
    failReason: payment.ok ? null : payment.reason,
    amountCents,
    paymentRef: payment.ok ? payment.ref : null,
    idempotencyKey: d.idempotencyKey,
    createdAt: d.at,
  });
  // Charged, then failed: written after the sweeper returned the units ('expired'), a second
  // order on a ticket already ordered, or a charge whose outcome was never learnt.
  if (written.status === 'failed' && (payment.ok || unknownOutcome)) {
    await reverse(deps.reversals, {
      evt: d.evt,
      orderId: d.orderId,
      kind: payment.ok ? 'refund' : 'void',
      ref: payment.ok ? payment.ref : null,
      amountCents,
      reason: written.failReason ?? (payment.ok ? 'failed' : 'payment_error'),
    });
  }
  return written;
}
