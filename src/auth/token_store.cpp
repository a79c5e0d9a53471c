#include "auth/token_store.hpp"

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

// Records an issued refresh token: jti, family, user, expiry (s).
const char* const record_sql =
    "INSERT INTO refresh_tokens (jti, family_id, user_id, expires_at) "
    "VALUES ($1, $2::uuid, $3::uuid, to_timestamp($4::bigint))";

// Uses the token up when it is live. It is recorded as revoked in the same
// statement, so that the check of POST /auth/transfer (revocation::is_revoked)
// knows it at once. nullopt when it was not live.
asio::awaitable<std::optional<rotation>> use_up(pg::connection& conn, const std::string& jti, long long issued_ms) {
  const auto params = pg::params(jti, issued_ms);
  pg::result used = co_await conn.query(
      "WITH used AS (UPDATE refresh_tokens rt SET used_at = now() FROM users u "
      "WHERE rt.jti = $1 AND u.id = rt.user_id AND rt.used_at IS NULL AND rt.revoked_at IS NULL "
      "AND rt.expires_at > now() "
      "AND (u.tokens_valid_after IS NULL OR u.tokens_valid_after < to_timestamp($2::bigint / 1000.0)) "
      "RETURNING rt.jti, rt.user_id, rt.expires_at, rt.family_id::text AS family, u.id::text AS id, u.email, "
      "u.name, u.role, u.bakery_id::text AS bakery, "
      "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created), "
      "recorded AS (INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh) "
      "SELECT jti, user_id, expires_at, true FROM used ON CONFLICT (jti) DO NOTHING) "
      "SELECT family, id, email, name, role, bakery, created, extract(epoch FROM expires_at)::bigint FROM used",
      params);
  if (used.rows() != 1) co_return std::nullopt;
  user u{std::string(used.value(0, 1)), std::string(used.value(0, 2)), std::string(used.value(0, 3)),
         std::string(used.value(0, 4)), std::string(used.value(0, 5)), std::string(used.value(0, 6))};
  revoked_refresh self{jti, u.id, used.integer(0, 7)};
  co_return rotation{refresh_check::ok, std::move(u), std::string(used.value(0, 0)), {std::move(self)}};
}

// Revokes the family, and records its unexpired tokens as revoked; those.
asio::awaitable<std::vector<revoked_refresh>> revoke_family(pg::connection& conn, std::string family) {
  const auto params = pg::params(family);
  pg::result revoked = co_await conn.query(
      "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now() "
      "WHERE family_id = $1::uuid AND revoked_at IS NULL RETURNING jti, user_id, expires_at) "
      "INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh) "
      "SELECT jti, user_id, expires_at, true FROM revoked WHERE expires_at > now() ON CONFLICT (jti) DO NOTHING "
      "RETURNING jti, user_id::text, extract(epoch FROM expires_at)::bigint",
      params);
  co_return pg::all_rows(revoked, [](const pg::result& r, std::size_t row) {
    return revoked_refresh{std::string(r.value(row, 0)), std::string(r.value(row, 1)), r.integer(row, 2)};
  });
}

// Why a token that use_up refused is no good: unknown or expired (invalid),
// or used or revoked before (revoked). Used means presented again after its
// rotation, so someone else has a copy: its family goes.
asio::awaitable<rotation> refusal(pg::connection& conn, const std::string& jti) {
  const auto params = pg::params(jti);
  pg::result row = co_await conn.query(
      "SELECT used_at IS NOT NULL, family_id::text, expires_at > now() FROM refresh_tokens WHERE jti = $1", params);
  if (row.rows() == 0 || row.value(0, 2) == "f") co_return rotation{};
  rotation out{refresh_check::revoked, std::nullopt, {}, {}};
  if (row.value(0, 0) == "t") {
    std::vector<revoked_refresh> family = co_await revoke_family(conn, std::string(row.value(0, 1)));
    out.revoked = std::move(family);
  }
  co_return out;
}

}  // namespace

asio::awaitable<void> token_store::record_issued(std::string jti, std::string family, std::string user_id,
                                                 long long expires_s) {
  const auto params = pg::params(jti, family, user_id, expires_s);
  co_await pg_.query(record_sql, params);
}

asio::awaitable<rotation> token_store::rotate(std::string jti, long long issued_ms, next_refresh next) {
  // One transaction: using the token up, recording its successor, and
  // finding why it could not be used are one step. Of two concurrent
  // presentations exactly one wins, and the loser's revocation of the family
  // (it waits on the row the winner updated) sees the successor committed.
  // Named, not a temporary inside the co_await: GCC 12 destroys such
  // temporaries twice.
  auto steps = [jti = std::move(jti), issued_ms, next = std::move(next)](pg::connection& conn) -> asio::awaitable<rotation> {
    std::optional<rotation> used = co_await use_up(conn, jti, issued_ms);
    if (used) {
      const auto params = pg::params(next.jti, used->family, used->owner->id, next.expires_s);
      co_await conn.query(record_sql, params);
      co_return std::move(*used);
    }
    rotation refused = co_await refusal(conn, jti);
    co_return refused;
  };
  rotation outcome = co_await pg_.transaction(std::move(steps));
  co_return outcome;
}

asio::awaitable<void> token_store::revoke(std::string jti, std::string user_id) {
  const auto params = pg::params(jti, user_id);
  co_await pg_.query(
      "UPDATE refresh_tokens SET revoked_at = now() WHERE jti = $1 AND user_id = $2::uuid AND revoked_at IS NULL",
      params);
}

asio::awaitable<void> token_store::revoke_all(std::string user_id) {
  const auto params = pg::params(user_id);
  co_await pg_.query("UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL",
                     params);
}

asio::awaitable<long long> token_store::purge_expired() {
  pg::result r = co_await pg_.query("DELETE FROM refresh_tokens WHERE expires_at < now()");
  co_return r.affected_rows();
}

}  // namespace bakewind::auth
