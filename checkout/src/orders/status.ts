// GET /v1/orders/:id: the order's state, shown only to the holder of the ticket that placed it.
// PostgreSQL is the record once the worker wrote the order; before that Redis knows it as a
// reservation (pending) or as voided (failed: it expired before it was written).
import { eventKeys, isEventId, type Pool, type Redis, SluiceError, type TicketVerifier } from '@sluice/shared';
import { guarded } from '../connections.ts';
import { requireProof } from '../purchase/proof.ts';
import { bearerToken } from '../purchase/request.ts';
import { parseReservation } from './reservation.ts';

export type OrderStatus = 'pending' | 'confirmed' | 'failed';

export interface OrderView {
  orderId: string;
  status: OrderStatus;
  sku: string | null;
  qty: number | null;
  amountCents: number | null;
  failReason: string | null;
}

export interface OrderStatusDeps {
  redis: Redis;
  pool: Pool;
  prefix: string;
  /** A verifier that still accepts expired tickets for a while: a shopper may look later. */
  verifier: TicketVerifier;
  timeoutMs: number;
}

/** What a ticket bound to a key (cnf.jkt) must also bring: its DPoP proof for this request. */
export interface StatusProof {
  dpop: string | undefined;
  /** The URL the client called (public base URL + path). */
  url: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface OrderRow {
  ticket_jti: string;
  status: OrderStatus;
  sku: string;
  qty: number;
  amount_cents: string;
  fail_reason: string | null;
}

export async function getOrderStatus(
  deps: OrderStatusDeps,
  input: { orderId: string; authorization: string | undefined; proof?: StatusProof },
): Promise<OrderView> {
  const ticket = bearerToken(input.authorization);
  const claims = await deps.verifier.verify(ticket);
  if (!isEventId(claims.evt)) throw new SluiceError('TICKET_CLAIMS');
  if (claims.cnf) {
    // A copied bound ticket reads no order either.
    const proof = { dpop: input.proof?.dpop, method: 'GET', url: input.proof?.url ?? '', ticket };
    await guarded(requireProof(deps.redis, deps.prefix, claims, proof, Date.now()), deps.timeoutMs, 'proof');
  }
  const orderId = input.orderId.toLowerCase();
  if (!UUID.test(orderId)) throw new SluiceError('ORDER_NOT_FOUND');

  const { rows } = await guarded(
    deps.pool.query<OrderRow>(
      // The ticket names the event: the lookup stays on that event's shard (docs/DATABASE.md).
      'SELECT ticket_jti, status, sku, qty, amount_cents, fail_reason FROM orders WHERE event_id = $1 AND order_id = $2',
      [claims.evt, orderId],
    ),
    deps.timeoutMs * 4,
    'order lookup',
  );
  const row = rows[0];
  if (row) {
    if (row.ticket_jti !== claims.jti) throw new SluiceError('ORDER_NOT_FOUND');
    return {
      orderId,
      status: row.status,
      sku: row.sku,
      qty: row.qty,
      amountCents: Number(row.amount_cents),
      failReason: row.fail_reason,
    };
  }

  const k = eventKeys(deps.prefix, claims.evt);
  const [owner, rec, voided] = await guarded(
    Promise.all([
      deps.redis.hget(k.used, claims.jti),
      deps.redis.hget(k.reservation, orderId),
      deps.redis.sismember(k.voided, orderId),
    ]),
    deps.timeoutMs,
    'order lookup',
  );
  if (owner !== orderId) throw new SluiceError('ORDER_NOT_FOUND');
  if (voided === 1) {
    return { orderId, status: 'failed', sku: null, qty: null, amountCents: null, failReason: 'expired' };
  }
  const r = rec ? parseReservation(rec) : null;
  return {
    orderId,
    status: 'pending',
    sku: r?.sku ?? null,
    qty: r?.qty ?? null,
    amountCents: r ? r.qty * r.price : null,
    failReason: null,
  };
}
