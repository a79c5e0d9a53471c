-- 0004: order_locks keeps its foreign key to orders only.
-- bakery_id is copied from the order's row in the same statement that takes
-- the lock (locks/lock_store.cpp), and the order's key already removes the
-- lock with the order (and so with its bakery): the bakery key added no
-- guarantee. user_id is the authenticated caller's, whose row the request
-- has just read; no route deletes users (one that does must release their
-- locks itself anyway, to announce it and clear Redis, which a cascade
-- cannot). Each of these keys made every lock write take a KEY SHARE lock
-- on the bakery's and the user's row: one row shared by every editor of a
-- bakery, a hot spot measured at about 15 % of lock throughput (bench/README.md).

ALTER TABLE order_locks DROP CONSTRAINT order_locks_bakery_id_fkey;
ALTER TABLE order_locks DROP CONSTRAINT order_locks_user_id_fkey;
