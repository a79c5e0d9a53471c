#include "locks/lock_store.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"

#include <algorithm>
#include <cctype>

namespace bakewind::locks {

namespace asio = boost::asio;

namespace {

// The columns of a row `l` of order_locks, times as ms since the epoch
// (formatted here, not by to_char in every statement). `Named` adds the
// holder's name; the writes leave it out (empty), as the caller knows it.
#define BW_LOCK_COLUMNS(name)                                                                            \
  "l.order_id::text, l.bakery_id::text, l.user_id::text, " name                                          \
  ", l.session_id, round(extract(epoch FROM l.acquired_at) * 1000)::bigint, "                            \
  "round(extract(epoch FROM l.expires_at) * 1000)::bigint, round(extract(epoch FROM l.last_activity_at) " \
  "* 1000)::bigint"
constexpr const char* named_columns = BW_LOCK_COLUMNS("(SELECT name FROM users WHERE id = l.user_id)");
constexpr const char* unnamed_columns = BW_LOCK_COLUMNS("''");
#undef BW_LOCK_COLUMNS

lock_info lock_from(const pg::result& r, std::size_t row) {
  lock_info l;
  l.order_id.assign(r.value(row, 0));
  l.bakery_id.assign(r.value(row, 1));
  l.user_id.assign(r.value(row, 2));
  l.user_name.assign(r.value(row, 3));
  l.session_id.assign(r.value(row, 4));
  l.acquired_at = core::iso8601_ms(r.integer(row, 5));
  l.expires_ms = r.integer(row, 6);
  l.expires_at = core::iso8601_ms(l.expires_ms);
  l.last_activity_at = core::iso8601_ms(r.integer(row, 7));
  return l;
}

std::optional<lock_info> first(const pg::result& r) {
  if (r.rows() == 0) return std::nullopt;
  return lock_from(r, 0);
}

// Each write also has a set-based form: the batcher runs the writes of one
// kind that wait together as one statement over arrays (one plan, one
// executor run), element by element the single statement's work, with its
// columns (the order id first, by which rows go back to their callers).
// now() is the transaction's time, the same for every element, as it was
// for statements of one batch.
const std::string acquire_sql =
    "INSERT INTO order_locks AS l (order_id, bakery_id, user_id, session_id, acquired_at, expires_at, "
    "last_activity_at) ";
const std::string acquire_conflict =
    " ON CONFLICT (order_id) DO UPDATE SET "
    "acquired_at = CASE WHEN l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id "
    "AND l.expires_at > now() THEN l.acquired_at ELSE EXCLUDED.acquired_at END, "
    "user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id, expires_at = EXCLUDED.expires_at, "
    "last_activity_at = EXCLUDED.last_activity_at "
    "WHERE l.expires_at <= now() OR (l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id) "
    "RETURNING " +
    std::string(unnamed_columns);

// ORDER BY a.n: rows are inserted (and locked) in the batch's order, by order id.
const pg::combiner acquire_all{
    acquire_sql +
        "SELECT o.id, o.bakery_id, a.user_id, a.session_id, to_timestamp(a.now_ms / 1000.0), "
        "to_timestamp(a.expires_ms / 1000.0), to_timestamp(a.now_ms / 1000.0) "
        "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::bigint[]) WITH ORDINALITY "
        "AS a(order_id, bakery_id, user_id, session_id, now_ms, expires_ms, n) "
        "JOIN orders o ON o.id = a.order_id AND o.bakery_id = a.bakery_id ORDER BY a.n" +
        acquire_conflict,
    0};

const pg::combiner renew_all{
    "UPDATE order_locks l SET expires_at = to_timestamp(a.expires_ms / 1000.0), "
    "last_activity_at = to_timestamp(a.now_ms / 1000.0) "
    "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::bigint[]) "
    "AS a(order_id, bakery_id, user_id, session_id, now_ms, expires_ms) "
    "WHERE l.order_id = a.order_id AND l.bakery_id = a.bakery_id AND l.user_id = a.user_id "
    "AND l.session_id = a.session_id AND l.expires_at > now() RETURNING " +
        std::string(unnamed_columns),
    0};

const pg::combiner release_all{
    "DELETE FROM order_locks l USING unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) "
    "AS a(order_id, bakery_id, user_id, session_id) "
    "WHERE l.order_id = a.order_id AND l.bakery_id = a.bakery_id AND l.expires_at > now() "
    "AND (a.user_id = '' OR (l.user_id::text = a.user_id AND l.session_id = a.session_id)) RETURNING " +
        std::string(unnamed_columns),
    0};

// A combined statement's rows find their callers by the order id as the
// server prints it (lower case); any other spelling runs alone.
const pg::combiner* if_canonical(const std::string& order_id, const pg::combiner& c) {
  const bool lower = std::none_of(order_id.begin(), order_id.end(),
                                  [](char ch) { return std::isupper(static_cast<unsigned char>(ch)) != 0; });
  return core::is_uuid(order_id) && lower ? &c : nullptr;
}

}  // namespace

asio::awaitable<std::optional<lock_info>> lock_store::try_acquire(std::string order_id, std::string bakery_id,
                                                                  std::string user_id, std::string session_id,
                                                                  long long now_ms, long long expires_ms) {
  static const std::string sql = acquire_sql +
                                "SELECT o.id, o.bakery_id, $3::uuid, $4, to_timestamp($5::bigint / 1000.0), "
                                "to_timestamp($6::bigint / 1000.0), to_timestamp($5::bigint / 1000.0) "
                                "FROM orders o WHERE o.id = $1::uuid AND o.bakery_id = $2::uuid" +
                                acquire_conflict;
  const auto params = pg::params(order_id, bakery_id, user_id, session_id, now_ms, expires_ms);
  const pg::combiner* combine = if_canonical(order_id, acquire_all);
  pg::result r = co_await writes_.query(order_id, sql, params, combine);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::renew(std::string order_id, std::string bakery_id,
                                                            std::string user_id, std::string session_id,
                                                            long long now_ms, long long expires_ms) {
  static const std::string sql =
      "UPDATE order_locks l SET expires_at = to_timestamp($6::bigint / 1000.0), "
      "last_activity_at = to_timestamp($5::bigint / 1000.0) "
      "WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid AND l.user_id = $3::uuid AND l.session_id = $4 "
      "AND l.expires_at > now() RETURNING " +
      std::string(unnamed_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id, now_ms, expires_ms);
  const pg::combiner* combine = if_canonical(order_id, renew_all);
  pg::result r = co_await writes_.query(order_id, sql, params, combine);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::release(std::string order_id, std::string bakery_id,
                                                              std::string user_id, std::string session_id) {
  static const std::string sql =
      "DELETE FROM order_locks l WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid "
      "AND l.expires_at > now() AND ($3 = '' OR (l.user_id::text = $3 AND l.session_id = $4)) RETURNING " +
      std::string(unnamed_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id);
  const pg::combiner* combine = if_canonical(order_id, release_all);
  pg::result r = co_await writes_.query(order_id, sql, params, combine);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::live(std::string order_id, std::string bakery_id) {
  const std::string sql = "SELECT " + std::string(named_columns) +
                          " FROM order_locks l WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid "
                          "AND l.expires_at > now()";
  const auto params = pg::params(order_id, bakery_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return first(r);
}

asio::awaitable<std::vector<lock_info>> lock_store::live_in(std::string bakery_id) {
  const std::string sql = "SELECT " + std::string(named_columns) +
                          " FROM order_locks l WHERE ($1 = '' OR l.bakery_id::text = $1) AND l.expires_at > now() "
                          "ORDER BY l.acquired_at, l.order_id";
  const auto params = pg::params(bakery_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return pg::all_rows(r, lock_from);
}

asio::awaitable<bool> lock_store::order_exists(std::string order_id, std::string bakery_id) {
  const auto params = pg::params(order_id, bakery_id);
  pg::result r = co_await pg_.query("SELECT 1 FROM orders WHERE id = $1::uuid AND bakery_id = $2::uuid", params);
  co_return r.rows() == 1;
}

asio::awaitable<std::vector<lock_info>> lock_store::delete_expired() {
  const std::string sql =
      "DELETE FROM order_locks l WHERE l.expires_at <= now() RETURNING " + std::string(named_columns);
  pg::result r = co_await pg_.query(sql);
  co_return pg::all_rows(r, lock_from);
}

asio::awaitable<std::int64_t> lock_store::count_active() {
  pg::result r = co_await pg_.query("SELECT count(*) FROM order_locks WHERE expires_at > now()");
  co_return r.integer(0, 0);
}

}  // namespace bakewind::locks
