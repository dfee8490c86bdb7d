// The order queue (BullMQ): the API adds one job per reservation with the order id as job id;
// the worker turns jobs into rows. Delivery is at least once, so everything downstream is
// idempotent (unique (event_id, order_id) and (event_id, ticket_jti), finalize acts once per reservation).
import type { JobsOptions } from 'bullmq';

export const ORDER_QUEUE = 'orders';
export const ORDER_JOB = 'order';

/** BullMQ key prefix under the Sluice prefix, so a test prefix's cleanup removes the queue too. */
export function bullPrefix(prefix: string): string {
  return `${prefix}:bull`;
}

/** What the worker needs to write an order; built from the reservation record. */
export interface OrderJobData {
  orderId: string;
  evt: string;
  sku: string;
  qty: number;
  jti: string;
  sub: string;
  unitPriceCents: number;
  idempotencyKey: string | null;
  /** When the reservation was made (ms). */
  at: number;
}

export const ORDER_ATTEMPTS = 8;

export const orderJobOptions = (orderId: string): JobsOptions => ({
  jobId: orderId,
  attempts: ORDER_ATTEMPTS,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 10_000, age: 3600 },
  removeOnFail: { count: 10_000, age: 7 * 86_400 },
});
