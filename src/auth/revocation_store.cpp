#include "auth/revocation_store.hpp"

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

recorded_revocation revocation_from(const pg::result& r, std::size_t row) {
  return {std::string(r.value(row, 0)), std::string(r.value(row, 1)), r.integer(row, 2)};
}

recorded_cutoff cutoff_from(const pg::result& r, std::size_t row) {
  return {std::string(r.value(row, 0)), r.integer(row, 1)};
}

}  // namespace

asio::awaitable<bool> revocation_store::is_revoked(std::string jti, std::string user_id, long long issued_ms) {
  const auto params = pg::params(jti, user_id, issued_ms);
  pg::result r = co_await pg_.query(
      "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1) OR "
      "COALESCE((SELECT COALESCE(tokens_valid_after >= to_timestamp($3::bigint / 1000.0), false) "
      "FROM users WHERE id = $2::uuid), true)",
      params);
  co_return r.value(0, 0) == "t";
}

asio::awaitable<void> revocation_store::record(std::string jti, std::string user_id, long long expires_s,
                                               bool refresh) {
  const auto params = pg::params(jti, user_id, expires_s, refresh);
  co_await pg_.query(
      "INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh) "
      "VALUES ($1, $2::uuid, to_timestamp($3::bigint), $4::boolean) ON CONFLICT (jti) DO NOTHING",
      params);
}

asio::awaitable<void> revocation_store::set_cutoff(std::string user_id, long long cutoff_ms) {
  const auto params = pg::params(user_id, cutoff_ms);
  co_await pg_.query("UPDATE users SET tokens_valid_after = to_timestamp($2::bigint / 1000.0) WHERE id = $1::uuid",
                     params);
}

asio::awaitable<std::vector<recorded_revocation>> revocation_store::live_after(std::string after, std::size_t limit) {
  const auto params = pg::params(after, static_cast<long long>(limit));
  pg::result page = co_await pg_.query(
      "SELECT jti, user_id::text, GREATEST(1, ceil(extract(epoch FROM expires_at - now())))::bigint "
      "FROM revoked_tokens WHERE expires_at > now() AND jti > $1 ORDER BY jti LIMIT $2",
      params);
  co_return pg::all_rows(page, revocation_from);
}

asio::awaitable<std::vector<recorded_cutoff>> revocation_store::recent_cutoffs(long long lifetime_s) {
  const auto params = pg::params(lifetime_s);
  pg::result cutoffs = co_await pg_.query(
      "SELECT id::text, round(extract(epoch FROM tokens_valid_after) * 1000)::bigint FROM users "
      "WHERE tokens_valid_after > now() - make_interval(secs => $1::bigint)",
      params);
  co_return pg::all_rows(cutoffs, cutoff_from);
}

asio::awaitable<long long> revocation_store::purge_expired() {
  pg::result r = co_await pg_.query("DELETE FROM revoked_tokens WHERE expires_at < now()");
  co_return r.affected_rows();
}

asio::awaitable<std::int64_t> revocation_store::count_revoked() {
  pg::result r = co_await pg_.query("SELECT count(*) FROM revoked_tokens WHERE expires_at > now() AND NOT refresh");
  co_return r.integer(0, 0);
}

}  // namespace bakewind::auth
