-- Sluice schema, version 1. PostgreSQL is the source of truth for orders and the audit log.

CREATE TABLE events (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  event_id          text NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  sku               text NOT NULL,
  name              text NOT NULL,
  price_cents       bigint NOT NULL CHECK (price_cents >= 0),
  initial_stock     integer NOT NULL CHECK (initial_stock >= 0),
  limit_per_shopper integer NOT NULL DEFAULT 1 CHECK (limit_per_shopper >= 1),
  PRIMARY KEY (event_id, sku)
);

CREATE TABLE orders (
  order_id        uuid PRIMARY KEY,
  event_id        text NOT NULL,
  sku             text NOT NULL,
  qty             integer NOT NULL CHECK (qty > 0),
  ticket_jti      text NOT NULL UNIQUE,
  place_id        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed')),
  fail_reason     text,
  amount_cents    bigint NOT NULL,
  payment_ref     text,
  idempotency_key text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (event_id, sku) REFERENCES products(event_id, sku)
);
CREATE INDEX orders_event_status ON orders (event_id, status);

CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  action    text NOT NULL,
  event_id  text,
  before    jsonb,
  after     jsonb
);
CREATE INDEX audit_log_event ON audit_log (event_id, at);
