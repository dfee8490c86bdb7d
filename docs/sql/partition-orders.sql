-- Turn `orders` (schema version 2) into a table hash-partitioned by event_id, keeping its rows.
-- PostgreSQL >= 11; run in a maintenance window (the copy holds a lock on the old table).
-- docs/DATABASE.md explains when and why; checkout/src/worker/persist.itest.ts runs the order
-- writes against the result. Pick MODULUS for the number of partitions you want (here 4).
ALTER TABLE orders RENAME TO orders_unpartitioned;
ALTER TABLE orders_unpartitioned RENAME CONSTRAINT orders_pkey TO orders_unpartitioned_pkey;
ALTER TABLE orders_unpartitioned RENAME CONSTRAINT orders_event_ticket_key TO orders_unpartitioned_event_ticket_key;
ALTER INDEX orders_event_status RENAME TO orders_unpartitioned_event_status;

-- Same columns, defaults, checks and indexes (the keys contain event_id, as a partitioned table
-- requires); constraint and index names as migration 002 gave them.
CREATE TABLE orders (LIKE orders_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY HASH (event_id);
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (event_id, order_id);
ALTER TABLE orders ADD CONSTRAINT orders_event_ticket_key UNIQUE (event_id, ticket_jti);
ALTER TABLE orders ADD FOREIGN KEY (event_id, sku) REFERENCES products (event_id, sku);
CREATE INDEX orders_event_status ON orders (event_id, status);

CREATE TABLE orders_p0 PARTITION OF orders FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE orders_p1 PARTITION OF orders FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE orders_p2 PARTITION OF orders FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE orders_p3 PARTITION OF orders FOR VALUES WITH (MODULUS 4, REMAINDER 3);

INSERT INTO orders SELECT * FROM orders_unpartitioned;
DROP TABLE orders_unpartitioned;
