#include "locks/lock_store.hpp"

#include "core/clock.hpp"

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

}  // namespace

asio::awaitable<std::optional<lock_info>> lock_store::try_acquire(std::string order_id, std::string bakery_id,
                                                                  std::string user_id, std::string session_id,
                                                                  long long now_ms, long long expires_ms) {
  const std::string sql =
      "INSERT INTO order_locks AS l (order_id, bakery_id, user_id, session_id, acquired_at, expires_at, "
      "last_activity_at) "
      "SELECT o.id, o.bakery_id, $3::uuid, $4, to_timestamp($5::bigint / 1000.0), "
      "to_timestamp($6::bigint / 1000.0), to_timestamp($5::bigint / 1000.0) "
      "FROM orders o WHERE o.id = $1::uuid AND o.bakery_id = $2::uuid "
      "ON CONFLICT (order_id) DO UPDATE SET "
      "acquired_at = CASE WHEN l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id "
      "AND l.expires_at > now() THEN l.acquired_at ELSE EXCLUDED.acquired_at END, "
      "user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id, expires_at = EXCLUDED.expires_at, "
      "last_activity_at = EXCLUDED.last_activity_at "
      "WHERE l.expires_at <= now() OR (l.user_id = EXCLUDED.user_id AND l.session_id = EXCLUDED.session_id) "
      "RETURNING " +
      std::string(unnamed_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id, now_ms, expires_ms);
  pg::result r = co_await writes_.query(order_id, sql, params);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::renew(std::string order_id, std::string bakery_id,
                                                            std::string user_id, std::string session_id,
                                                            long long now_ms, long long expires_ms) {
  const std::string sql =
      "UPDATE order_locks l SET expires_at = to_timestamp($6::bigint / 1000.0), "
      "last_activity_at = to_timestamp($5::bigint / 1000.0) "
      "WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid AND l.user_id = $3::uuid AND l.session_id = $4 "
      "AND l.expires_at > now() RETURNING " +
      std::string(unnamed_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id, now_ms, expires_ms);
  pg::result r = co_await writes_.query(order_id, sql, params);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::release(std::string order_id, std::string bakery_id,
                                                              std::string user_id, std::string session_id) {
  const std::string sql =
      "DELETE FROM order_locks l WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid "
      "AND l.expires_at > now() AND ($3 = '' OR (l.user_id::text = $3 AND l.session_id = $4)) RETURNING " +
      std::string(unnamed_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id);
  pg::result r = co_await writes_.query(order_id, sql, params);
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
