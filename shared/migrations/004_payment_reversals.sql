-- Schema version 4: money owed back (issue 16). An order that was charged (or whose charge had
-- an unknown outcome) and then failed — written after its reservation was swept, a second order
-- on a ticket already ordered, a payment error on the last attempt — gets one row here before
-- the worker asks the provider to refund (charge known) or void (outcome unknown) it; the row is
-- 'done' once the provider answered. Keyed by event like orders (docs/DATABASE.md): the order id
-- alone may have no row in orders (a duplicate ticket's order is never written).
CREATE TABLE payment_reversals (
  event_id     text NOT NULL,
  order_id     uuid NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('refund', 'void')),
  payment_ref  text,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  reason       text NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  outcome      text,
  attempts     int NOT NULL DEFAULT 0,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  done_at      timestamptz,
  PRIMARY KEY (event_id, order_id)
);
CREATE INDEX payment_reversals_pending ON payment_reversals (created_at) WHERE status = 'pending';
