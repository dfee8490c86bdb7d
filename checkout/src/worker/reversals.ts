// Money owed back. When an order that was charged (or may have been) ends failed, the debt is
// written to payment_reversals first, then the provider is asked to refund it (charge known) or
// void it (outcome unknown). A provider error leaves the row pending: the reverser loop retries
// pending rows in pages until the provider answers, and reconcile reports what is still owed.
import type { Logger, Pool } from '@sluice/shared';
import { every, type Repeating } from './every.ts';
import type { PaymentProvider, ReversalRequest } from './payment.ts';

export interface Owed extends ReversalRequest {
  evt: string;
  kind: 'refund' | 'void';
}

export interface ReversalDeps {
  pool: Pool;
  payments: PaymentProvider;
  log: Logger;
  /** Called with each provider call's outcome: 'reversed', 'nothing' or 'error'. */
  onOutcome?: (kind: Owed['kind'], outcome: string) => void;
}

/** Record the debt (once per order) and try to settle it now; never throws for a provider error. */
export async function reverse(deps: ReversalDeps, owed: Owed): Promise<'done' | 'pending'> {
  await deps.pool.query(
    `INSERT INTO payment_reversals (event_id, order_id, kind, payment_ref, amount_cents, reason)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [owed.evt, owed.orderId, owed.kind, owed.ref, owed.amountCents, owed.reason],
  );
  return settle(deps, owed);
}

async function settle(deps: ReversalDeps, owed: Owed): Promise<'done' | 'pending'> {
  const req: ReversalRequest = { orderId: owed.orderId, amountCents: owed.amountCents, ref: owed.ref, reason: owed.reason };
  try {
    const r = owed.kind === 'refund' ? await deps.payments.refund(req) : await deps.payments.void(req);
    deps.onOutcome?.(owed.kind, r.outcome);
    await deps.pool.query(
      `UPDATE payment_reversals SET status = 'done', outcome = $3, attempts = attempts + 1, done_at = now(), last_error = NULL
       WHERE event_id = $1 AND order_id = $2 AND status = 'pending'`,
      [owed.evt, owed.orderId, r.outcome],
    );
    return 'done';
  } catch (err) {
    deps.onOutcome?.(owed.kind, 'error');
    deps.log.warn({ err, orderId: owed.orderId, kind: owed.kind }, 'payment reversal failed; it stays pending and is retried');
    await deps.pool
      .query(
        `UPDATE payment_reversals SET attempts = attempts + 1, last_error = $3 WHERE event_id = $1 AND order_id = $2 AND status = 'pending'`,
        [owed.evt, owed.orderId, String((err as Error)?.message ?? err).slice(0, 500)],
      )
      .catch((e) => deps.log.warn({ err: e, orderId: owed.orderId }, 'recording a failed reversal attempt failed'));
    return 'pending';
  }
}

/** Retry up to `limit` pending reversals, oldest first. */
export async function retryPending(deps: ReversalDeps, limit = 100): Promise<number> {
  const { rows } = await deps.pool.query<{
    event_id: string;
    order_id: string;
    kind: Owed['kind'];
    payment_ref: string | null;
    amount_cents: string;
    reason: string;
  }>(
    `SELECT event_id, order_id, kind, payment_ref, amount_cents, reason FROM payment_reversals
     WHERE status = 'pending' ORDER BY created_at LIMIT $1`,
    [limit],
  );
  let done = 0;
  for (const r of rows) {
    const owed: Owed = {
      evt: r.event_id,
      orderId: r.order_id,
      kind: r.kind,
      ref: r.payment_ref,
      amountCents: Number(r.amount_cents),
      reason: r.reason,
    };
    if ((await settle(deps, owed)) === 'done') done++;
  }
  return done;
}

/** Run retryPending every `intervalMs` (never overlapping) until stop(). */
export function startReverser(deps: ReversalDeps, intervalMs: number): Repeating {
  return every(
    intervalMs,
    async () => {
      await retryPending(deps);
    },
    (err) => deps.log.warn({ err }, 'retrying payment reversals failed; retrying next interval'),
  );
}
