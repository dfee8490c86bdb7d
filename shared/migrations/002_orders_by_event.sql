-- Schema version 2: orders keyed by event, so the table can be distributed or partitioned by
-- event_id (docs/DATABASE.md). Every unique constraint of a distributed (Citus) or partitioned
-- table must contain the distribution / partition column, hence:
--   primary key  order_id           -> (event_id, order_id)
--   unique       ticket_jti         -> (event_id, ticket_jti)   a ticket is single-use per event
-- Rows are kept as they are: v1 had order_id and ticket_jti unique over the whole table, so no
-- existing row can break the wider keys. Order ids are random UUIDs drawn by checkout, and every
-- reader and writer names the event with the order id (checkout/src/worker/persist.ts,
-- sweeper.ts, flush.ts, orders/status.ts).

ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (event_id, order_id);

ALTER TABLE orders DROP CONSTRAINT orders_ticket_jti_key;
ALTER TABLE orders ADD CONSTRAINT orders_event_ticket_key UNIQUE (event_id, ticket_jti);

-- (event_id, status) stays: reconcile reads an event's pending and confirmed orders.
