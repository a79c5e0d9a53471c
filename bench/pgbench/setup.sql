-- The rows lock_batches.py's scripts use: one bakery, one user, 1,024 orders
-- with ids 00000000-0000-0000-0000-<n, 12 digits>. Empties the database.
TRUNCATE bakeries CASCADE;
INSERT INTO bakeries (id, name) VALUES ('00000000-0000-0000-0000-0000000000b1', 'b');
INSERT INTO users (id, bakery_id, email, password_hash, name, role) VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1', 'a@b', 'x', 'n', 'owner');
INSERT INTO orders (id, bakery_id, customer_name, items, total_cents, created_by)
SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, '00000000-0000-0000-0000-0000000000b1', 'c', '[]', 1, '00000000-0000-0000-0000-0000000000a1' FROM generate_series(0, 1023) g;
