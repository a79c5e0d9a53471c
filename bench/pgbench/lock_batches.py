# lock_batches.py N: writes pipeN.sql (N lock acquires in one pipelined
# transaction, then N releases: today's batches) and unnestN.sql (the same as
# one INSERT .. SELECT FROM unnest and one DELETE .. USING unnest). The
# order ids come from run.sh (-D u0.. and ua), each client its own block.
# Needs setup.sql's rows (one bakery, one user, 1,024 orders of known ids).
import sys
n = int(sys.argv[1])
B = "00000000-0000-0000-0000-0000000000b1"; U = "00000000-0000-0000-0000-0000000000a1"
cols = ("l.order_id::text, l.bakery_id::text, l.user_id::text, '', l.session_id, "
        "round(extract(epoch FROM l.acquired_at) * 1000)::bigint, round(extract(epoch FROM l.expires_at) * 1000)::bigint, "
        "round(extract(epoch FROM l.last_activity_at) * 1000)::bigint")
acq = ("INSERT INTO order_locks AS l (order_id, bakery_id, user_id, session_id, acquired_at, expires_at, last_activity_at) "
  "SELECT o.id, o.bakery_id, {u}::uuid, {s}, to_timestamp({now}::bigint / 1000.0), to_timestamp({exp}::bigint / 1000.0), to_timestamp({now}::bigint / 1000.0) "
  "FROM orders o WHERE o.id = {o}::uuid AND o.bakery_id = {b}::uuid "
  "ON CONFLICT (order_id) DO UPDATE SET acquired_at = CASE WHEN l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id "
  "AND l.expires_at > now() THEN l.acquired_at ELSE EXCLUDED.acquired_at END, user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id, "
  "expires_at = EXCLUDED.expires_at, last_activity_at = EXCLUDED.last_activity_at "
  "WHERE l.expires_at <= now() OR (l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id) RETURNING " + cols)
rel = ("DELETE FROM order_locks l WHERE l.order_id = {o}::uuid AND l.bakery_id = {b}::uuid AND l.expires_at > now() "
  "AND ({u} = '' OR (l.user_id::text = {u} AND l.session_id = {s})) RETURNING " + cols)
a = ["\\startpipeline"]
for i in range(n): a.append(acq.format(u="'"+U+"'", s="'s1'", now=":now", exp=":exp", o=f":u{i}", b="'"+B+"'") + ";")
a += ["\\endpipeline", "\\startpipeline"]
for i in range(n): a.append(rel.format(u="'"+U+"'", s="'s1'", o=f":u{i}", b="'"+B+"'") + ";")
a += ["\\endpipeline"]
open(f"pipe{n}.sql", "w").write("\n".join(a) + "\n")
# set-based
acq_u = ("INSERT INTO order_locks AS l (order_id, bakery_id, user_id, session_id, acquired_at, expires_at, last_activity_at) "
  "SELECT o.id, o.bakery_id, a.user_id, a.session_id, to_timestamp(a.now_ms / 1000.0), to_timestamp(a.expires_ms / 1000.0), to_timestamp(a.now_ms / 1000.0) "
  "FROM unnest(:ua::uuid[], :ba::uuid[], :usra::uuid[], :sa::text[], :nowa::bigint[], :expa::bigint[]) AS a(order_id, bakery_id, user_id, session_id, now_ms, expires_ms) "
  "JOIN orders o ON o.id = a.order_id AND o.bakery_id = a.bakery_id ORDER BY a.order_id "
  "ON CONFLICT (order_id) DO UPDATE SET acquired_at = CASE WHEN l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id "
  "AND l.expires_at > now() THEN l.acquired_at ELSE EXCLUDED.acquired_at END, user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id, "
  "expires_at = EXCLUDED.expires_at, last_activity_at = EXCLUDED.last_activity_at "
  "WHERE l.expires_at <= now() OR (l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id) RETURNING " + cols)
rel_u = ("DELETE FROM order_locks l USING unnest(:ua::uuid[], :ba::uuid[], :usra::text[], :sa::text[]) WITH ORDINALITY AS a(order_id, bakery_id, user_id, session_id, n) "
  "WHERE l.order_id = a.order_id AND l.bakery_id = a.bakery_id AND l.expires_at > now() "
  "AND (a.user_id = '' OR (l.user_id::text = a.user_id AND l.session_id = a.session_id)) RETURNING a.n, " + cols)
b = [acq_u + ";", rel_u + ";"]
open(f"unnest{n}.sql", "w").write("\n".join(b) + "\n")
