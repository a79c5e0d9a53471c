-- 0001: the whole v1 schema of API.md. Applied inside one transaction by
-- pg::migrate (no BEGIN/COMMIT here). Timestamps are cut to milliseconds,
-- the precision the API shows, so a value read back compares equal.

CREATE TABLE bakeries (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bakery_id           uuid NOT NULL REFERENCES bakeries (id) ON DELETE CASCADE,
  email               text NOT NULL,
  password_hash       text NOT NULL,
  name                text NOT NULL,
  role                text NOT NULL CHECK (role IN ('owner', 'admin', 'staff')),
  -- logout-all: tokens issued at or before this instant are rejected.
  tokens_valid_after  timestamptz NULL,
  created_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
-- One account per address, whatever its case.
CREATE UNIQUE INDEX users_email_lower_uq ON users (lower(email));
CREATE INDEX users_bakery_created_idx ON users (bakery_id, created_at);

CREATE TABLE orders (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bakery_id      uuid NOT NULL REFERENCES bakeries (id) ON DELETE CASCADE,
  customer_name  text NOT NULL,
  items          jsonb NOT NULL,
  total_cents    bigint NOT NULL CHECK (total_cents >= 0),
  status         text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'confirmed', 'in_production', 'ready', 'delivered', 'cancelled')),
  due_at         timestamptz NULL,
  notes          text NOT NULL DEFAULT '',
  version        integer NOT NULL DEFAULT 1,
  created_by     uuid NOT NULL REFERENCES users (id),
  created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
-- Keyset pagination, newest first, with and without a status filter.
CREATE INDEX orders_bakery_created_idx ON orders (bakery_id, created_at DESC, id DESC);
CREATE INDEX orders_bakery_status_created_idx ON orders (bakery_id, status, created_at DESC, id DESC);

-- The lock arbiter (DESIGN.md): at most one row per order. Acquire is an
-- upsert on order_id that only wins over an expired row or the same holder.
CREATE TABLE order_locks (
  order_id          uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
  bakery_id         uuid NOT NULL REFERENCES bakeries (id) ON DELETE CASCADE,
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id        text NOT NULL,
  acquired_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  expires_at        timestamptz NOT NULL,
  last_activity_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX order_locks_expires_idx ON order_locks (expires_at);
CREATE INDEX order_locks_bakery_idx ON order_locks (bakery_id);

-- Revoked tokens by jti, kept until the token would have expired anyway;
-- the source Redis's blacklist is refilled from.
CREATE TABLE revoked_tokens (
  jti         text PRIMARY KEY,
  user_id     uuid NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);
CREATE INDEX revoked_tokens_user_idx ON revoked_tokens (user_id);
