#include "locks/lock_store.hpp"

namespace bakewind::locks {

namespace asio = boost::asio;

namespace {

// The lockInfo columns of a row `l` of order_locks, with the holder's name.
#define BW_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
constexpr const char* lock_columns =
    "l.order_id::text, l.bakery_id::text, l.user_id::text, "
    "(SELECT name FROM users WHERE id = l.user_id), l.session_id, " BW_ISO("l.acquired_at") ", " BW_ISO(
        "l.expires_at") ", " BW_ISO("l.last_activity_at") ", "
    "round(extract(epoch FROM l.expires_at) * 1000)::bigint";
#undef BW_ISO

lock_info lock_from(const pg::result& r, std::size_t row) {
  lock_info l;
  std::string* fields[] = {&l.order_id,   &l.bakery_id,   &l.user_id,    &l.user_name,
                           &l.session_id, &l.acquired_at, &l.expires_at, &l.last_activity_at};
  for (std::size_t c = 0; c < 8; ++c) fields[c]->assign(r.value(row, c));
  l.expires_ms = std::stoll(std::string(r.value(row, 8)));
  return l;
}

std::optional<lock_info> first(const pg::result& r) {
  if (r.rows() == 0) return std::nullopt;
  return lock_from(r, 0);
}

std::vector<lock_info> all(const pg::result& r) {
  std::vector<lock_info> out;
  out.reserve(r.rows());
  for (std::size_t i = 0; i < r.rows(); ++i) out.push_back(lock_from(r, i));
  return out;
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
      std::string(lock_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id, now_ms, expires_ms);
  pg::result r = co_await pg_.query(sql, params);
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
      std::string(lock_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id, now_ms, expires_ms);
  pg::result r = co_await pg_.query(sql, params);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::release(std::string order_id, std::string bakery_id,
                                                              std::string user_id, std::string session_id) {
  const std::string sql =
      "DELETE FROM order_locks l WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid "
      "AND l.expires_at > now() AND ($3 = '' OR (l.user_id::text = $3 AND l.session_id = $4)) RETURNING " +
      std::string(lock_columns);
  const auto params = pg::params(order_id, bakery_id, user_id, session_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return first(r);
}

asio::awaitable<std::optional<lock_info>> lock_store::live(std::string order_id, std::string bakery_id) {
  const std::string sql = "SELECT " + std::string(lock_columns) +
                          " FROM order_locks l WHERE l.order_id = $1::uuid AND l.bakery_id = $2::uuid "
                          "AND l.expires_at > now()";
  const auto params = pg::params(order_id, bakery_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return first(r);
}

asio::awaitable<std::vector<lock_info>> lock_store::live_in(std::string bakery_id) {
  const std::string sql = "SELECT " + std::string(lock_columns) +
                          " FROM order_locks l WHERE ($1 = '' OR l.bakery_id::text = $1) AND l.expires_at > now() "
                          "ORDER BY l.acquired_at, l.order_id";
  const auto params = pg::params(bakery_id);
  pg::result r = co_await pg_.query(sql, params);
  co_return all(r);
}

asio::awaitable<bool> lock_store::order_exists(std::string order_id, std::string bakery_id) {
  const auto params = pg::params(order_id, bakery_id);
  pg::result r = co_await pg_.query("SELECT 1 FROM orders WHERE id = $1::uuid AND bakery_id = $2::uuid", params);
  co_return r.rows() == 1;
}

asio::awaitable<std::vector<lock_info>> lock_store::delete_expired() {
  const std::string sql =
      "DELETE FROM order_locks l WHERE l.expires_at <= now() RETURNING " + std::string(lock_columns);
  pg::result r = co_await pg_.query(sql);
  co_return all(r);
}

}  // namespace bakewind::locks
